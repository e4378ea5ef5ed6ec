using System.Text.Json;
using Gatehouse.Core.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Social;

/// <summary>
/// What happens once a provider has said who the user is: find the member by (provider, subject), or sign one up
/// (now, or after a second step that asks for missing fields), or link the identity to a logged-in member. Every
/// store call here is one short unit of work; the provider calls are all over before this runs (seed 004).
/// </summary>
public sealed partial class SocialAccountService
{
    private const string SignupPurpose = "signup";
    private readonly IMemberStore _members;
    private readonly IMemberIdentityStore _identities;
    private readonly IOneTimeTicketStore _tickets;
    private readonly SessionService _sessions;
    private readonly IOptionsMonitor<SocialAccountOptions> _options;
    private readonly TimeProvider _time;
    private readonly GatehouseMetrics _metrics;
    private readonly ILogger<SocialAccountService> _logger;
    private readonly IProviderGrantStore? _grants;

    /// <param name="grants">Where a sealed provider grant is kept; without one, grants are dropped.</param>
    public SocialAccountService(
        IMemberStore members,
        IMemberIdentityStore identities,
        IOneTimeTicketStore tickets,
        SessionService sessions,
        IOptionsMonitor<SocialAccountOptions> options,
        TimeProvider time,
        GatehouseMetrics metrics,
        ILogger<SocialAccountService> logger,
        IProviderGrantStore? grants = null)
    {
        _members = members;
        _identities = identities;
        _tickets = tickets;
        _sessions = sessions;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _grants = grants;
    }

    /// <summary>Logs the provider's user in, signing them up when every required field is known.</summary>
    /// <param name="sealedGrant">
    /// The provider's tokens, sealed by the caller, to keep on the identity once it exists (for revoking the link
    /// later); carried inside the signup ticket when the sign-up needs a second step. Null: nothing to keep.
    /// </param>
    public async Task<Result<SocialSignIn>> SignInAsync(ExternalProfile profile, ClientInfo client, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (Clean(profile) is not { } cleaned)
        {
            return Fail(new Failure(SocialErrors.ProviderError, "The provider sent a user without a usable id."));
        }

        profile = cleaned;

        // Two attempts: a first login that loses the race for (provider, subject) to a concurrent one logs in as the winner.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await TryLogInAsync(profile, client, sealedGrant, cancellationToken) is { } returning)
            {
                return returning;
            }

            var options = _options.CurrentValue;
            var now = _time.GetUtcNow();
            var email = UsableEmail(profile);
            if (options.LinkByVerifiedEmail && email is not null
                && await _members.FindByEmailAsync(EmailAddress.Normalize(email), cancellationToken) is { } owner)
            {
                var linked = await _identities.TryLinkAsync(MemberIdentity.From(owner.Id, profile, now), cancellationToken);
                if (linked is LinkOutcome.Linked or LinkOutcome.AlreadyLinked)
                {
                    LogLinkedByEmail(_logger, owner.Id.Value, profile.Provider);
                    await KeepGrantAsync(profile, sealedGrant, cancellationToken);
                    _metrics.Login(profile.Provider);
                    return SocialSignIn.Session(await _sessions.StartAsync(owner.Id, client.UserAgent, cancellationToken), created: false);
                }

                // The owner already has another account of this provider, or the identity was just taken: sign up as usual.
            }

            var missing = Missing(profile, email, options);
            if (missing.Count > 0)
            {
                return await PendSignupAsync(profile, missing, options, sealedGrant, cancellationToken);
            }

            var member = NewMember(profile, email, NicknameFrom(profile.Name), now);
            switch (await _identities.TryAddMemberAsync(member, MemberIdentity.From(member.Id, profile, now), cancellationToken))
            {
                case AddMemberOutcome.Added:
                    await KeepGrantAsync(profile, sealedGrant, cancellationToken);
                    return SocialSignIn.Session(await SignedUpAsync(member, profile.Provider, client, cancellationToken), created: true);
                case AddMemberOutcome.EmailTaken when options.Requires(SocialAccountOptions.EmailField):
                    return await PendSignupAsync(profile, [SocialAccountOptions.EmailField], options, sealedGrant, cancellationToken);
                case AddMemberOutcome.EmailTaken:
                    // The address belongs to someone else: this member starts without one rather than merging the two.
                    member.Email = null;
                    member.NormalizedEmail = null;
                    var retried = await _identities.TryAddMemberAsync(member, MemberIdentity.From(member.Id, profile, now), cancellationToken);
                    if (retried == AddMemberOutcome.Added)
                    {
                        await KeepGrantAsync(profile, sealedGrant, cancellationToken);
                        return SocialSignIn.Session(await SignedUpAsync(member, profile.Provider, client, cancellationToken), created: true);
                    }

                    continue;
                default:
                    continue;
            }
        }

        // Only a pathological interleaving gets here (the identity taken, then gone); the client may simply retry.
        return Fail(new Failure(GatehouseErrors.ServiceUnavailable, "The login raced with another change of this account; try again."));
    }

    /// <summary>Completes a pending sign-up (<c>POST /auth/signup</c> with a signup token) with the fields that were missing.</summary>
    public async Task<Result<TokenGrant>> CompleteSignupAsync(string? signupToken, string? nickname, string? email, ClientInfo client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!TicketKeys.LooksValid(signupToken))
        {
            return Fail(new Failure(SocialErrors.InvalidSignupToken, "The signup token is missing or malformed."));
        }

        // The fields are checked before the token is spent, so a typo does not send the user back to the provider.
        var options = _options.CurrentValue;
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (nickname is not null && AccountService.NicknameError(nickname) is { } nicknameError)
        {
            fields[SocialAccountOptions.NicknameField] = [nicknameError];
        }

        if (email is not null && !EmailAddress.IsValid(email))
        {
            fields[SocialAccountOptions.EmailField] = ["Enter a valid email address."];
        }

        if (fields.Count > 0)
        {
            return Fail(new Failure(GatehouseErrors.ValidationFailed, "Some fields are not valid.") { Fields = fields });
        }

        var key = TicketKeys.For(SignupPurpose, signupToken!);
        var stored = await _tickets.TakeAsync(key, cancellationToken);
        if (stored is null || Deserialize(stored) is not { } pending)
        {
            return Fail(new Failure(SocialErrors.InvalidSignupToken, "The signup token is unknown, expired or already used: log in with the provider again."));
        }

        var profile = pending.Profile;
        var finalEmail = email?.Trim() ?? UsableEmail(profile);
        var finalNickname = nickname?.Trim() ?? NicknameFrom(profile.Name);
        var stillMissing = new List<string>();
        if (options.Requires(SocialAccountOptions.EmailField) && finalEmail is null)
        {
            stillMissing.Add(SocialAccountOptions.EmailField);
        }

        if (options.Requires(SocialAccountOptions.NicknameField) && nickname is null && ValidProviderName(profile.Name) is null)
        {
            stillMissing.Add(SocialAccountOptions.NicknameField);
        }

        if (stillMissing.Count > 0)
        {
            await PutBackAsync(key, stored, pending, cancellationToken);
            return Fail(new Failure(GatehouseErrors.ValidationFailed, "Some required fields are missing.")
            {
                Fields = stillMissing.ToDictionary(f => f, f => new[] { $"Enter a {f}." }, StringComparer.Ordinal),
            });
        }

        var now = _time.GetUtcNow();
        var member = NewMember(profile, finalEmail, finalNickname, now);
        var outcome = await _identities.TryAddMemberAsync(member, MemberIdentity.From(member.Id, profile, now), cancellationToken);
        if (outcome == AddMemberOutcome.EmailTaken && email is null && !options.Requires(SocialAccountOptions.EmailField))
        {
            // The provider's address belongs to someone else and none is required: this member starts without one.
            member.Email = null;
            member.NormalizedEmail = null;
            outcome = await _identities.TryAddMemberAsync(member, MemberIdentity.From(member.Id, profile, now), cancellationToken);
        }

        switch (outcome)
        {
            case AddMemberOutcome.Added:
                await KeepGrantAsync(profile, pending.SealedGrant, cancellationToken);
                return await SignedUpAsync(member, profile.Provider, client, cancellationToken);
            case AddMemberOutcome.EmailTaken:
                // Another email may be chosen with the same token.
                await PutBackAsync(key, stored, pending, cancellationToken);
                return Fail(new Failure(GatehouseErrors.EmailTaken, "An account with this email already exists.")
                {
                    Fields = new Dictionary<string, string[]> { [SocialAccountOptions.EmailField] = ["This email belongs to another account."] },
                });
            default:
                // The same provider account finished signing up elsewhere (another tab): this becomes a login to it.
                return await TryLogInAsync(profile, client, pending.SealedGrant, cancellationToken) is { } login
                    ? login.Grant!
                    : Fail(new Failure(SocialErrors.InvalidSignupToken, "The sign-up could not complete; log in with the provider again."));
        }
    }

    /// <summary>Links the provider's user to a logged-in member.</summary>
    /// <param name="sealedGrant">As for <see cref="SignInAsync"/>: kept on the identity once linked.</param>
    public async Task<Result<IReadOnlyList<MemberIdentity>>> LinkAsync(MemberId member, ExternalProfile profile, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        if (Clean(profile) is not { } cleaned)
        {
            return new Failure(SocialErrors.ProviderError, "The provider sent a user without a usable id.");
        }

        profile = cleaned;
        var outcome = await _identities.TryLinkAsync(MemberIdentity.From(member, profile, _time.GetUtcNow()), cancellationToken);
        switch (outcome)
        {
            case LinkOutcome.Linked:
                LogLinked(_logger, member.Value, profile.Provider);
                break;
            case LinkOutcome.AlreadyLinked:
                break;
            case LinkOutcome.LinkedToAnotherMember:
                return new Failure(SocialErrors.IdentityTaken, "This provider account is already linked to another member.");
            case LinkOutcome.ProviderAlreadyLinked:
                return new Failure(SocialErrors.ProviderAlreadyLinked, "Another account of this provider is already linked; unlink it first.");
            default:
                // As GET /members/me answers it: the access token names a member who withdrew (or never was).
                return new Failure(OAuthErrors.InvalidToken, "The member no longer exists (withdrawn).");
        }

        await KeepGrantAsync(profile, sealedGrant, cancellationToken);
        return Result<IReadOnlyList<MemberIdentity>>.Ok(await _identities.ListAsync(member, cancellationToken));
    }

    public Task<IReadOnlyList<MemberIdentity>> ListIdentitiesAsync(MemberId member, CancellationToken cancellationToken) =>
        _identities.ListAsync(member, cancellationToken);

    /// <summary>The member and its identities in one read; null when the member does not exist or withdrew.</summary>
    public Task<MemberProfile?> FindProfileAsync(MemberId member, CancellationToken cancellationToken) =>
        _identities.FindProfileAsync(member, cancellationToken);

    /// <summary>Unlinks a provider unless it is the member's last way to log in.</summary>
    public async Task<Failure?> UnlinkAsync(MemberId member, string provider, CancellationToken cancellationToken)
    {
        switch (await _identities.UnlinkAsync(member, provider, cancellationToken))
        {
            case UnlinkOutcome.Unlinked:
                LogUnlinked(_logger, member.Value, provider);
                return null;
            case UnlinkOutcome.LastLoginMethod:
                return new Failure(SocialErrors.LastLoginMethod, "This is the member's last way to log in: set a password or link another provider first.");
            default:
                return new Failure(GatehouseErrors.NotFound, "No account of this provider is linked.");
        }
    }

    /// <summary>
    /// A returning member's login: one statement finds the identity, records the login and keeps the provider's grant
    /// when there is one; null when the identity is not linked.
    /// </summary>
    private async Task<SocialSignIn?> TryLogInAsync(ExternalProfile profile, ClientInfo client, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        // The grant rides in the same statement (one round trip); without a grant store nothing is kept, as elsewhere.
        if (await _identities.RecordLoginAsync(profile, _time.GetUtcNow(), _grants is null ? null : sealedGrant, cancellationToken) is not { } member)
        {
            return null;
        }

        _metrics.Login(profile.Provider);
        return SocialSignIn.Session(await _sessions.StartAsync(member, client.UserAgent, cancellationToken), created: false);
    }

    private async Task<TokenGrant> SignedUpAsync(Member member, string provider, ClientInfo client, CancellationToken cancellationToken)
    {
        _metrics.Signup(provider);
        LogSignup(_logger, member.Id.Value, provider);
        return await _sessions.StartAsync(member.Id, client.UserAgent, cancellationToken);
    }

    /// <summary>The newest grant replaces the kept one: each login hands out fresh provider tokens.</summary>
    private Task KeepGrantAsync(ExternalProfile profile, byte[]? sealedGrant, CancellationToken cancellationToken) =>
        sealedGrant is null || _grants is null ? Task.CompletedTask : _grants.SaveAsync(profile.Provider, profile.Subject, sealedGrant, cancellationToken);

    private async Task<Result<SocialSignIn>> PendSignupAsync(ExternalProfile profile, IReadOnlyList<string> missing, SocialAccountOptions options, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        var token = TicketKeys.NewSecret();
        var pending = new PendingSignup(profile, _time.GetUtcNow() + options.SignupTokenLifetime, sealedGrant);
        await _tickets.StoreAsync(TicketKeys.For(SignupPurpose, token), JsonSerializer.SerializeToUtf8Bytes(pending), pending.ExpiresAt, cancellationToken);
        return SocialSignIn.SignupRequired(token, profile, missing);
    }

    private async Task PutBackAsync(string key, byte[] stored, PendingSignup pending, CancellationToken cancellationToken)
    {
        if (pending.ExpiresAt > _time.GetUtcNow())
        {
            await _tickets.StoreAsync(key, stored, pending.ExpiresAt, cancellationToken);
        }
    }

    /// <summary>
    /// What a provider sends is data from outside: control characters (NUL, which PostgreSQL refuses, among them) are
    /// dropped from the shared fields and each is bounded; a subject that is empty, over 255 characters or has control
    /// characters is no identifier at all.
    /// </summary>
    internal static ExternalProfile? Clean(ExternalProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (string.IsNullOrWhiteSpace(profile.Subject) || profile.Subject.Length > 255 || profile.Subject.Any(char.IsControl))
        {
            return null;
        }

        return profile with
        {
            Email = CleanField(profile.Email, EmailAddress.MaxLength) is { } email && EmailAddress.IsValid(email) ? email : null,
            Name = CleanField(profile.Name, 200),
            Picture = CleanField(profile.Picture, 2048),
        };
    }

    private static string? CleanField(string? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }

        var cleaned = new string(value.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return cleaned.Length == 0 || cleaned.Length > maxLength ? null : cleaned;
    }

    private static Member NewMember(ExternalProfile profile, string? email, string nickname, DateTimeOffset now) => new()
    {
        Id = MemberId.New(),
        Email = email,
        NormalizedEmail = email is null ? null : EmailAddress.Normalize(email),
        Nickname = nickname,
        PasswordHash = null,
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>The provider's email, if the provider vouches for it: an unverified one is kept on the identity only.</summary>
    private static string? UsableEmail(ExternalProfile profile) =>
        profile.EmailVerified && EmailAddress.IsValid(profile.Email) ? profile.Email!.Trim() : null;

    private static List<string> Missing(ExternalProfile profile, string? email, SocialAccountOptions options)
    {
        var missing = new List<string>();
        if (options.Requires(SocialAccountOptions.EmailField) && email is null)
        {
            missing.Add(SocialAccountOptions.EmailField);
        }

        if (options.Requires(SocialAccountOptions.NicknameField) && ValidProviderName(profile.Name) is null)
        {
            missing.Add(SocialAccountOptions.NicknameField);
        }

        return missing;
    }

    private static string? ValidProviderName(string? name) => AccountService.NicknameError(name) is null ? name!.Trim() : null;

    /// <summary>The provider's name when it makes a valid nickname; else a neutral placeholder the member can change.</summary>
    private static string NicknameFrom(string? name)
    {
        if (ValidProviderName(name) is { } valid)
        {
            return valid;
        }

        var cleaned = new string((name ?? string.Empty).Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (cleaned.Length > 0)
        {
            var info = new System.Globalization.StringInfo(cleaned);
            return info.LengthInTextElements > AccountService.MaxNicknameLength ? info.SubstringByTextElements(0, AccountService.MaxNicknameLength) : cleaned;
        }

        return "Member";
    }

    private static PendingSignup? Deserialize(byte[] stored)
    {
        try
        {
            return JsonSerializer.Deserialize<PendingSignup>(stored);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private Failure Fail(Failure failure)
    {
        _metrics.Failure(failure.Error);
        return failure;
    }

    /// <param name="SealedGrant">Sealed by the caller before it got here: the ticket never holds a provider token in clear.</param>
    private sealed record PendingSignup(ExternalProfile Profile, DateTimeOffset ExpiresAt, byte[]? SealedGrant = null);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Member {MemberId} signed up with {Provider}.")]
    private static partial void LogSignup(ILogger logger, string memberId, string provider);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Member {MemberId} linked {Provider}.")]
    private static partial void LogLinked(ILogger logger, string memberId, string provider);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Member {MemberId} logged in with {Provider}, joined to the member by its verified email (LinkByVerifiedEmail).")]
    private static partial void LogLinkedByEmail(ILogger logger, string memberId, string provider);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Member {MemberId} unlinked {Provider}.")]
    private static partial void LogUnlinked(ILogger logger, string memberId, string provider);
}
