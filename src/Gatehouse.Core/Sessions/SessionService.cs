using Gatehouse.Core.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Events;
using Gatehouse.Core.Members;
using Gatehouse.Core.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Sessions;

/// <summary>
/// Refresh sessions and the tokens they issue. A session (a family, seed 004) is created at login before the access
/// token, so the access token can name it in <c>sid</c>. Every refresh rotates; a replay of a dead token revokes the family.
/// </summary>
public sealed partial class SessionService
{
    /// <summary>User agents are kept for the sessions list only; condensed, 64 characters say which browser on which system and keep a Redis session small.</summary>
    public const int MaxUserAgentLength = 64;

    private readonly IRefreshSessionStore _store;
    private readonly RefreshTokenCodec _codec;
    private readonly AccessTokenIssuer _issuer;
    private readonly IOptionsMonitor<TokenOptions> _options;
    private readonly TimeProvider _time;
    private readonly GatehouseMetrics _metrics;
    private readonly ILogger<SessionService> _logger;
    private readonly IEventPublisher _events;

    public SessionService(IRefreshSessionStore store, RefreshTokenCodec codec, AccessTokenIssuer issuer, IOptionsMonitor<TokenOptions> options, TimeProvider time, GatehouseMetrics metrics, ILogger<SessionService> logger, IEventPublisher events)
    {
        _events = events;
        _store = store;
        _codec = codec;
        _issuer = issuer;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <exception cref="SessionStoreUnavailableException">The session store cannot be reached.</exception>
    public async Task<TokenGrant> StartAsync(MemberId memberId, string? userAgent, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        var now = _time.GetUtcNow();
        var id = SessionId.New();
        var refresh = _codec.CreateInitial(id);
        var session = new RefreshSession(id, memberId, now, now, now + options.RefreshIdleLifetime, now + options.RefreshAbsoluteLifetime, CondenseUserAgent(userAgent));
        await _store.CreateAsync(new NewRefreshSession(session, refresh.Hash), cancellationToken);
        return new TokenGrant(_issuer.Issue(memberId, id, now), refresh.Value, session);
    }

    /// <summary>Exchanges a refresh token for a new access token and the token's successor.</summary>
    /// <exception cref="SessionStoreUnavailableException">The session store cannot be reached.</exception>
    public async Task<Result<TokenGrant>> RefreshAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (!_codec.TryParse(refreshToken, out var presented))
        {
            _metrics.Refresh("invalid");
            return InvalidGrant("The refresh token is malformed or was not issued by this server.");
        }

        var options = _options.CurrentValue;
        var nonce = RefreshTokenCodec.NewNonce();
        var successor = _codec.CreateSuccessor(presented, nonce);
        var request = new RotationRequest(presented.SessionId, presented.Hash, successor.Hash, nonce, _time.GetUtcNow(), options.RefreshIdleLifetime, options.RefreshReuseLeeway);
        var result = await _store.RotateAsync(request, cancellationToken);
        switch (result.Outcome)
        {
            case RotationOutcome.Rotated:
                _metrics.Refresh("rotated");
                return new TokenGrant(_issuer.Issue(result.Session!.MemberId, result.Session.Id, result.Session.CreatedAt), successor.Value, result.Session);

            case RotationOutcome.WithinLeeway:
                // The same successor the winning request received: derived again from the presented token and the
                // nonce the winner stored, and checked against the hash the store holds.
                var same = _codec.CreateSuccessor(presented, result.CurrentNonce!);
                if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(same.Hash, result.CurrentHash))
                {
                    await _store.RevokeAsync(presented.SessionId, cancellationToken);
                    return await ReusedAsync(presented.SessionId, result.Session?.MemberId, cancellationToken);
                }

                _metrics.Refresh("leeway");
                return new TokenGrant(_issuer.Issue(result.Session!.MemberId, result.Session.Id, result.Session.CreatedAt), same.Value, result.Session);

            case RotationOutcome.Reused:
                return await ReusedAsync(presented.SessionId, result.RevokedMember, cancellationToken);

            default:
                _metrics.Refresh("not_found");
                return InvalidGrant("The session has ended: it expired, was logged out, or was revoked.");
        }
    }

    /// <summary>Ends the session a refresh token belongs to; true if there was one. Idempotent.</summary>
    public async Task<bool> EndAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (!_codec.TryParse(refreshToken, out var parsed))
        {
            return false;
        }

        // The delete names the owner: session.revoked costs no read before it.
        if (await _store.RevokeAsync(parsed.SessionId, cancellationToken) is not { } owner)
        {
            return false;
        }

        await PublishRevokedAsync(owner, parsed.SessionId, RevocationReasons.Logout, cancellationToken);
        return true;
    }

    /// <summary>Ends one of a member's sessions; a session of someone else is treated as absent.</summary>
    /// <param name="reason">For <c>session.revoked</c>: <see cref="RevocationReasons.Logout"/> or <see cref="RevocationReasons.SessionDeleted"/>.</param>
    public async Task<bool> EndAsync(MemberId owner, SessionId sessionId, string reason, CancellationToken cancellationToken)
    {
        var session = await _store.FindAsync(sessionId, cancellationToken);
        if (session is null || session.MemberId != owner || await _store.RevokeAsync(sessionId, cancellationToken) is null)
        {
            return false;
        }

        await PublishRevokedAsync(owner, sessionId, reason, cancellationToken);
        return true;
    }

    /// <param name="reason">For <c>session.revoked</c>: <see cref="RevocationReasons.LogoutAll"/> or <see cref="RevocationReasons.Admin"/>.</param>
    public async Task<int> EndAllAsync(MemberId memberId, string reason, CancellationToken cancellationToken)
    {
        var ended = await _store.RevokeAllAsync(memberId, cancellationToken);
        if (ended > 0)
        {
            await PublishRevokedAsync(memberId, null, reason, cancellationToken);
        }

        return ended;
    }

    public Task<IReadOnlyList<RefreshSession>> ListAsync(MemberId memberId, CancellationToken cancellationToken) => _store.ListByMemberAsync(memberId, cancellationToken);

    private async Task<Failure> ReusedAsync(SessionId sessionId, MemberId? memberId, CancellationToken cancellationToken)
    {
        _metrics.Refresh("reused");
        _metrics.ReuseDetected();
        LogReuse(_logger, sessionId.Value, memberId?.Value);
        if (_events.IsEnabled)
        {
            await _events.PublishAsync(MemberEvents.RefreshTokenReused(memberId?.Value, sessionId.Value, _time.GetUtcNow()), cancellationToken);
        }

        return InvalidGrant("The refresh token was already used; the session has been revoked.");
    }

    private Task PublishRevokedAsync(MemberId member, SessionId? sessionId, string reason, CancellationToken cancellationToken) =>
        _events.IsEnabled
            ? _events.PublishAsync(MemberEvents.SessionsRevoked(member.Value, sessionId?.Value, reason, _time.GetUtcNow()), cancellationToken)
            : Task.CompletedTask;

    private Failure InvalidGrant(string description)
    {
        _metrics.Failure(OAuthErrors.InvalidGrant);
        return new Failure(OAuthErrors.InvalidGrant, description);
    }

    /// <summary>
    /// Drops the tokens every browser sends for compatibility (<c>Mozilla/5.0</c>, <c>AppleWebKit/…</c>,
    /// <c>(KHTML, like Gecko)</c>), which leaves the system and the browser within the first 64 characters.
    /// </summary>
    public static string? CondenseUserAgent(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return null;
        }

        var parts = userAgent.Replace("(KHTML, like Gecko)", string.Empty, StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("Mozilla/", StringComparison.Ordinal) && !p.StartsWith("AppleWebKit/", StringComparison.Ordinal));
        var condensed = string.Join(' ', parts);
        if (condensed.Length == 0)
        {
            condensed = userAgent.Trim();
        }

        condensed = new string(condensed.Where(c => !char.IsControl(c)).ToArray());
        if (condensed.Length <= MaxUserAgentLength)
        {
            return condensed;
        }

        // Never split a surrogate pair: a lone surrogate is not text, and PostgreSQL refuses it.
        var length = char.IsHighSurrogate(condensed[MaxUserAgentLength - 1]) ? MaxUserAgentLength - 1 : MaxUserAgentLength;
        return condensed[..length];
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Refresh token reuse detected: session {SessionId} of member {MemberId} revoked.")]
    private static partial void LogReuse(ILogger logger, string sessionId, string? memberId);
}

/// <summary>What a login or a refresh hands out.</summary>
public sealed record TokenGrant(AccessToken AccessToken, string RefreshToken, RefreshSession Session);
