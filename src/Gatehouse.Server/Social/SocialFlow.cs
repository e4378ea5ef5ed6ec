using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Social.Revocation;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Social;

/// <summary>Which way the code comes back: to the frontend, which posts it to <c>/auth/login</c>, or to Gatehouse's callback.</summary>
internal enum FlowMode
{
    HandOff,
    Redirect,
}

internal enum FlowIntent
{
    Login,
    Link,
}

/// <summary>What a login attempt remembers between leaving for the provider and coming back: single use, short-lived.</summary>
internal sealed record FlowState(
    string Provider,
    FlowMode Mode,
    FlowIntent Intent,
    string RedirectUri,
    string CodeVerifier,
    string Nonce,
    string? ReturnTo,
    string? MemberId,
    string? BrowserBinding,
    DateTimeOffset ExpiresAt);

/// <summary>The answer of <see cref="SocialFlow.BeginAsync"/>.</summary>
internal sealed record FlowStart(Uri AuthorizationUrl, string State, string? BrowserBinding);

/// <summary>A completed attempt: the provider's user, and its tokens sealed when revoking the link later needs them (null otherwise).</summary>
internal sealed record FlowOutcome(ExternalProfile Profile, byte[]? SealedGrant);

/// <summary>What came back from the provider, by either flow.</summary>
internal sealed record FlowReturn(string? Code, string? State, string? Issuer, string? Error, string? ErrorDescription, string? FormUser, string? BrowserBinding);

/// <summary>
/// The one pipeline behind both flows (seed 001's regret: one login path, not one per provider). It begins an attempt
/// (state, PKCE S256 verifier and nonce, kept single use for <see cref="SocialFlowOptions.StateLifetime"/>) and ends
/// it: the state is taken, checked against the provider, the flow and the browser, the RFC 9207 issuer is compared,
/// and only then is the code exchanged; the provider's tokens leave here sealed, or not at all. Nothing here touches the database: the state lives in the ticket store
/// (Redis in the distributed setup), and the member's database work happens after, in <see cref="SocialAccountService"/>.
/// </summary>
internal sealed class SocialFlow
{
    private const string StatePurpose = "state";

    /// <summary>What Apple sends instead of <c>access_denied</c> when the user cancels.</summary>
    private const string AppleUserCancelled = "user_cancelled_authorize";
    private readonly ISocialProviderRegistry _providers;
    private readonly IOneTimeTicketStore _tickets;
    private readonly IOptionsMonitor<SocialFlowOptions> _options;
    private readonly TimeProvider _time;
    private readonly IProviderRevoker _revoker;
    private readonly ProviderGrantSealer _sealer;

    public SocialFlow(
        ISocialProviderRegistry providers, IOneTimeTicketStore tickets, IOptionsMonitor<SocialFlowOptions> options, TimeProvider time, IProviderRevoker revoker, ProviderGrantSealer sealer)
    {
        _providers = providers;
        _tickets = tickets;
        _options = options;
        _time = time;
        _revoker = revoker;
        _sealer = sealer;
    }

    public bool TryGetProvider(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISocialProvider? provider)
    {
        provider = null;
        return name is { Length: > 0 and <= 64 } && _providers.TryGet(name, out provider);
    }

    /// <summary>Starts an attempt; the caller sends the browser to the returned URL.</summary>
    public async Task<Result<FlowStart>> BeginAsync(
        ISocialProvider provider, FlowMode mode, FlowIntent intent, string redirectUri, string? returnTo, MemberId? member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var state = TicketKeys.NewSecret();
        var verifier = TicketKeys.NewSecret();
        var nonce = TicketKeys.NewSecret();
        var binding = mode == FlowMode.Redirect ? TicketKeys.NewSecret() : null;
        Uri url;
        try
        {
            url = await provider.BuildAuthorizationUrlAsync(new AuthorizationParameters(state, Challenge(verifier), nonce, redirectUri), cancellationToken);
        }
        catch (SocialProviderException e)
        {
            return ProviderFailure(e);
        }

        var expiresAt = _time.GetUtcNow() + _options.CurrentValue.StateLifetime;
        var flow = new FlowState(provider.Name, mode, intent, redirectUri, verifier, nonce, returnTo, member?.Value, binding is null ? null : Digest(binding), expiresAt);
        await _tickets.StoreAsync(TicketKeys.For(StatePurpose, state), JsonSerializer.SerializeToUtf8Bytes(flow), expiresAt, cancellationToken);
        return new FlowStart(url, state, binding);
    }

    /// <summary>
    /// Ends an attempt: takes the state (whatever happens next, it is spent), checks it belongs to this provider, this
    /// flow and this browser, handles a provider-side error, compares the issuer, and only then redeems the code.
    /// The flow is returned with the failure when it was found, so the redirect flow knows where to send the browser.
    /// </summary>
    public async Task<(Result<FlowOutcome> Outcome, FlowState? Flow)> CompleteAsync(
        ISocialProvider provider, FlowMode mode, FlowReturn returned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(returned);
        if (!TicketKeys.LooksValid(returned.State))
        {
            return (InvalidState("The state is missing or malformed."), null);
        }

        var stored = await _tickets.TakeAsync(TicketKeys.For(StatePurpose, returned.State!), cancellationToken);
        var flow = stored is null ? null : Deserialize(stored);
        if (flow is null || flow.ExpiresAt <= _time.GetUtcNow())
        {
            return (InvalidState("The state is unknown, expired or already used: start the login again."), null);
        }

        if (!string.Equals(flow.Provider, provider.Name, StringComparison.Ordinal))
        {
            // A response for an attempt begun with another provider (mix-up): nothing is exchanged anywhere.
            return (InvalidState("The state belongs to a login with another provider."), null);
        }

        if (flow.Mode != mode)
        {
            return (InvalidState("The state belongs to the other login flow."), flow);
        }

        if (flow.BrowserBinding is not null
            && (returned.BrowserBinding is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(flow.BrowserBinding), Encoding.ASCII.GetBytes(Digest(returned.BrowserBinding)))))
        {
            return (InvalidState("The login was started in another browser (or its cookies were cleared)."), flow);
        }

        if (returned.Error is { Length: > 0 } error)
        {
            return (error is OAuthErrors.AccessDenied or AppleUserCancelled
                ? new Failure(SocialErrors.LoginCancelled, "The login was cancelled at the provider.")
                : new Failure(SocialErrors.ProviderError, $"The provider answered '{Clip(error)}'.") { ProviderError = Clip(error) }, flow);
        }

        if (returned.Code is not { Length: > 0 and <= 4096 } code)
        {
            return (new Failure(OAuthErrors.InvalidRequest, "The provider's answer carries no code."), flow);
        }

        try
        {
            var issuer = await provider.GetIssuerAsync(cancellationToken);
            if (returned.Issuer is { } iss && issuer is not null && !string.Equals(iss, issuer, StringComparison.Ordinal))
            {
                // RFC 9207: the answer came from another authorization server than the one this attempt went to.
                return (new Failure(SocialErrors.IssuerMismatch, "The authorization response names another issuer than the provider the login started with."), flow);
            }

            var redemption = await provider.RedeemAsync(new CodeRedemption(code, flow.RedirectUri, flow.CodeVerifier, flow.Nonce, returned.FormUser, returned.State), cancellationToken);
            var sealedGrant = _revoker.NeedsGrant(provider.Name) ? _sealer.Seal(redemption.Grant) : null;
            return (new FlowOutcome(redemption.Profile, sealedGrant), flow);
        }
        catch (SocialProviderException e)
        {
            return (ProviderFailure(e), flow);
        }
    }

    private static Failure ProviderFailure(SocialProviderException e) =>
        new(e.Error, e.Message) { ProviderError = e.ProviderError is null ? null : Clip(e.ProviderError), RetryAfter = e.RetryAfter };

    private static Failure InvalidState(string description) => new(SocialErrors.InvalidState, description);

    private static string Challenge(string verifier) => TicketKeys.Digest(verifier);

    private static string Digest(string secret) => TicketKeys.Digest(secret);

    private static string Clip(string value)
    {
        var clean = new string(value.Where(c => c is >= ' ' and <= '~').Take(64).ToArray());
        return clean.Length == 0 ? "unknown" : clean;
    }

    private static FlowState? Deserialize(byte[] stored)
    {
        try
        {
            return JsonSerializer.Deserialize<FlowState>(stored);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The flow's settings, from <c>Gatehouse:Social</c>.</summary>
public sealed class SocialFlowOptions
{
    /// <summary>How long a login attempt may take at the provider (the state's lifetime, single use).</summary>
    public TimeSpan StateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the redirect flow sends the browser when <c>returnTo</c> is missing or refused; default: the first <c>Gatehouse:Frontend:Origins</c> entry.</summary>
    public string? DefaultReturnTo { get; set; }

    public IEnumerable<string> Validate()
    {
        if (StateLifetime < TimeSpan.FromMinutes(1) || StateLifetime > TimeSpan.FromHours(1))
        {
            yield return "Gatehouse:Social:StateLifetime must be between 00:01:00 and 01:00:00.";
        }

        // DefaultReturnTo is checked against the frontend origins, beside this (GatehouseBuilderExtensions).
    }
}
