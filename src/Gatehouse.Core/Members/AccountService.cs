using Gatehouse.Core.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Passwords;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Throttling;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Core.Members;

/// <summary>Local accounts: sign-up, password login, the member's own profile.</summary>
public sealed partial class AccountService
{
    public const string PasswordProvider = "password";
    public const int MaxNicknameLength = 40;

    private readonly IMemberStore _members;
    private readonly IPasswordHasher _hasher;
    private readonly PasswordPolicy _policy;
    private readonly LoginThrottle _throttle;
    private readonly SessionService _sessions;
    private readonly TimeProvider _time;
    private readonly GatehouseMetrics _metrics;
    private readonly ILogger<AccountService> _logger;

    public AccountService(IMemberStore members, IPasswordHasher hasher, PasswordPolicy policy, LoginThrottle throttle, SessionService sessions, TimeProvider time, GatehouseMetrics metrics, ILogger<AccountService> logger)
    {
        _members = members;
        _hasher = hasher;
        _policy = policy;
        _throttle = throttle;
        _sessions = sessions;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<Result<TokenGrant>> SignupAsync(string? email, string? password, string? nickname, ClientInfo client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!EmailAddress.IsValid(email))
        {
            fields["email"] = ["Enter a valid email address."];
        }

        if (NicknameError(nickname) is { } nicknameError)
        {
            fields["nickname"] = [nicknameError];
        }

        if (_policy.Validate(password, email) is { Fields: { } passwordFields })
        {
            foreach (var (key, value) in passwordFields)
            {
                fields[key] = value;
            }
        }

        if (fields.Count > 0)
        {
            return Fail(new Failure(GatehouseErrors.ValidationFailed, "Some fields are not valid.") { Fields = fields });
        }

        var now = _time.GetUtcNow();
        var member = new Member
        {
            Id = MemberId.New(),
            Email = email!.Trim(),
            NormalizedEmail = EmailAddress.Normalize(email),
            Nickname = nickname!.Trim(),
            PasswordHash = await _hasher.HashAsync(password!, cancellationToken),
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (!await _members.TryAddAsync(member, cancellationToken))
        {
            return await RetrySignupAsync(member.NormalizedEmail, password!, client, cancellationToken);
        }

        _metrics.Signup(PasswordProvider);
        LogSignup(_logger, member.Id.Value);
        return await _sessions.StartAsync(member.Id, client.UserAgent, cancellationToken);
    }

    /// <summary>
    /// An unknown email and a wrong password get the same failure after the same work (one argon2id verification),
    /// so neither the answer nor its timing tells whether an account exists.
    /// </summary>
    public async Task<Result<TokenGrant>> LoginWithPasswordAsync(string? email, string? password, ClientInfo client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (string.IsNullOrWhiteSpace(email) || email.Length > EmailAddress.MaxLength || string.IsNullOrEmpty(password) || password.Length > 4096)
        {
            return Fail(new Failure(GatehouseErrors.ValidationFailed, "Email and password are required."));
        }

        return await PasswordLoginAsync(
            EmailAddress.Normalize(email), password, client, new Failure(GatehouseErrors.InvalidCredentials, "The email or password is incorrect."), cancellationToken);
    }

    /// <summary>
    /// A sign-up whose member was stored but whose session could not be started (the session store was down) is
    /// retried by the client: with the same password it completes as a login, so the member is not left with an
    /// account they are told is taken. Any other password gets <see cref="GatehouseErrors.EmailTaken"/>, counted by
    /// the login throttle so that sign-up is no way around it.
    /// </summary>
    private Task<Result<TokenGrant>> RetrySignupAsync(string account, string password, ClientInfo client, CancellationToken cancellationToken) =>
        PasswordLoginAsync(account, password, client, new Failure(GatehouseErrors.EmailTaken, "An account with this email already exists."), cancellationToken);

    /// <summary>The one password check behind login and a retried sign-up: throttled, equal work for unknown accounts, re-hashed when the parameters changed.</summary>
    private async Task<Result<TokenGrant>> PasswordLoginAsync(string account, string password, ClientInfo client, Failure wrongPassword, CancellationToken cancellationToken)
    {
        var (limited, (member, verification)) = await _throttle.CheckAsync(
            account,
            client.Address,
            async ct =>
            {
                var found = await _members.FindByEmailAsync(account, ct);
                return (Member: found, Verification: await _hasher.VerifyAsync(found?.PasswordHash, password, ct));
            },
            outcome => outcome.Member is not null && outcome.Verification != PasswordVerification.Failed,
            cancellationToken);
        if (limited is not null)
        {
            return Fail(limited);
        }

        if (member is null || verification == PasswordVerification.Failed)
        {
            return Fail(wrongPassword);
        }

        if (verification == PasswordVerification.SucceededRehashNeeded)
        {
            member.PasswordHash = await _hasher.HashAsync(password, cancellationToken);
            member.UpdatedAt = _time.GetUtcNow();
            await _members.UpdateAsync(member, cancellationToken);
        }

        _metrics.Login(PasswordProvider);
        return await _sessions.StartAsync(member.Id, client.UserAgent, cancellationToken);
    }

    public Task<Member?> FindAsync(MemberId id, CancellationToken cancellationToken) => _members.FindByIdAsync(id, cancellationToken);

    public async Task<Result<Member>> UpdateNicknameAsync(MemberId id, string? nickname, CancellationToken cancellationToken)
    {
        if (NicknameError(nickname) is { } error)
        {
            return Failure.Validation("nickname", error);
        }

        var member = await _members.FindByIdAsync(id, cancellationToken);
        if (member is null)
        {
            return new Failure(GatehouseErrors.NotFound, "The member does not exist.");
        }

        member.Nickname = nickname!.Trim();
        member.UpdatedAt = _time.GetUtcNow();
        return await _members.UpdateAsync(member, cancellationToken)
            ? member
            : new Failure(GatehouseErrors.NotFound, "The member does not exist.");
    }

    public static string? NicknameError(string? nickname)
    {
        var trimmed = nickname?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return "Enter a nickname.";
        }

        if (new System.Globalization.StringInfo(trimmed).LengthInTextElements > MaxNicknameLength)
        {
            return $"A nickname has at most {MaxNicknameLength} characters.";
        }

        return trimmed.Any(char.IsControl) ? "A nickname cannot contain control characters." : null;
    }

    private Result<TokenGrant> Fail(Failure failure)
    {
        _metrics.Failure(failure.Error);
        return failure;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Member {MemberId} signed up with a password.")]
    private static partial void LogSignup(ILogger logger, string memberId);
}

/// <summary>Who is calling, as far as the HTTP layer can tell.</summary>
/// <param name="Address">The client's IP address (after trusted forwarded headers), for throttling.</param>
public sealed record ClientInfo(string? Address, string? UserAgent);
