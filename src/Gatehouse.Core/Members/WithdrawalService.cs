using Gatehouse.Core.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Passwords;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Throttling;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Core.Members;

/// <summary>
/// <c>DELETE /members/me</c>: checks that the member authenticated recently, withdraws them in one transaction (see
/// <see cref="IWithdrawalStore"/>), then revokes their sessions at once as a best effort: the outbox entry written in
/// the transaction guarantees it, this only makes it immediate.
/// </summary>
public sealed partial class WithdrawalService
{
    /// <summary>How recent a login must be (the access token's <c>auth_time</c>) to withdraw without the password.</summary>
    public static readonly TimeSpan RecentAuthentication = TimeSpan.FromMinutes(10);

    private readonly IMemberStore _members;
    private readonly IWithdrawalStore _withdrawals;
    private readonly IRefreshSessionStore _sessions;
    private readonly IPasswordHasher _hasher;
    private readonly LoginThrottle _throttle;
    private readonly TimeProvider _time;
    private readonly GatehouseMetrics _metrics;
    private readonly ILogger<WithdrawalService> _logger;

    public WithdrawalService(IMemberStore members, IWithdrawalStore withdrawals, IRefreshSessionStore sessions, IPasswordHasher hasher, LoginThrottle throttle, TimeProvider time, GatehouseMetrics metrics, ILogger<WithdrawalService> logger)
    {
        _members = members;
        _withdrawals = withdrawals;
        _sessions = sessions;
        _hasher = hasher;
        _throttle = throttle;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <param name="authTime">The access token's <c>auth_time</c>: when the member last logged in (refreshes carry it forward).</param>
    /// <param name="password">The password sent again, for members who have one; null when none was sent.</param>
    /// <returns>Null when the member was withdrawn; else why not.</returns>
    public async Task<Failure?> WithdrawAsync(MemberId id, DateTimeOffset? authTime, string? password, ClientInfo client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var member = await _members.FindByIdAsync(id, cancellationToken);
        if (member is null)
        {
            return Fail(new Failure(OAuthErrors.InvalidToken, "The member no longer exists."));
        }

        var now = _time.GetUtcNow();
        if (password is not null)
        {
            if (await CheckPasswordAsync(member, password, client, cancellationToken) is { } refused)
            {
                return Fail(refused);
            }
        }
        else if (authTime is not { } loggedInAt || now - loggedInAt > RecentAuthentication)
        {
            var how = member.PasswordHash is null ? "log in again" : "log in again or send the password ({\"password\": \"…\"})";
            return Fail(new Failure(GatehouseErrors.ReauthenticationRequired, $"Withdrawal needs a login within the last 10 minutes: {how}."));
        }

        if (!await _withdrawals.WithdrawAsync(id, now, cancellationToken))
        {
            return Fail(new Failure(OAuthErrors.InvalidToken, "The member no longer exists."));
        }

        _metrics.Withdrawal("requested");
        LogWithdrawn(_logger, id.Value);
        try
        {
            // Not the request's token: once committed, the revocation should finish even if the caller hangs up.
            await _sessions.RevokeAllAsync(id, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The withdrawal has committed and is answered as such: the outbox revokes the sessions as soon as the
            // store answers, and until then the store cannot refresh them either.
            LogImmediateRevocationFailed(_logger, id.Value, e);
        }

        return null;
    }

    private async Task<Failure?> CheckPasswordAsync(Member member, string password, ClientInfo client, CancellationToken cancellationToken)
    {
        if (member.PasswordHash is null || member.NormalizedEmail is null)
        {
            return new Failure(GatehouseErrors.ReauthenticationRequired, "This member has no password: log in again within 10 minutes of withdrawing.");
        }

        if (password.Length > 4096)
        {
            return new Failure(GatehouseErrors.InvalidCredentials, "The password is incorrect.");
        }

        // The same throttle as login: re-sending the password is no way around it.
        var (limited, verification) = await _throttle.CheckAsync(
            member.NormalizedEmail,
            client.Address,
            ct => _hasher.VerifyAsync(member.PasswordHash, password, ct).AsTask(),
            outcome => outcome != PasswordVerification.Failed,
            cancellationToken);
        if (limited is not null)
        {
            return limited;
        }

        if (verification == PasswordVerification.Failed)
        {
            return new Failure(GatehouseErrors.InvalidCredentials, "The password is incorrect.");
        }

        return null;
    }

    private Failure Fail(Failure failure)
    {
        _metrics.Failure(failure.Error);
        return failure;
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Member {MemberId} withdrew.")]
    private static partial void LogWithdrawn(ILogger logger, string memberId);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Revoking the sessions of withdrawn member {MemberId} right away failed; the outbox will do it.")]
    private static partial void LogImmediateRevocationFailed(ILogger logger, string memberId, Exception exception);
}
