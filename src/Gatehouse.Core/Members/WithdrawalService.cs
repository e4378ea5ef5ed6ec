using Gatehouse.Core.Diagnostics;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Passwords;
using Gatehouse.Core.Throttling;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Core.Members;

/// <summary>
/// <c>DELETE /members/me</c>: checks that the member authenticated recently, withdraws them in one transaction (see
/// <see cref="IWithdrawalStore"/>), whose store revokes the sessions right after the commit, before the request is
/// answered.
/// </summary>
public sealed partial class WithdrawalService
{
    /// <summary>How recent a login must be (the access token's <c>auth_time</c>) to withdraw without the password.</summary>
    public static readonly TimeSpan RecentAuthentication = TimeSpan.FromMinutes(10);

    private readonly IMemberStore _members;
    private readonly IWithdrawalStore _withdrawals;
    private readonly IPasswordHasher _hasher;
    private readonly LoginThrottle _throttle;
    private readonly TimeProvider _time;
    private readonly GatehouseMetrics _metrics;
    private readonly ILogger<WithdrawalService> _logger;

    public WithdrawalService(IMemberStore members, IWithdrawalStore withdrawals, IPasswordHasher hasher, LoginThrottle throttle, TimeProvider time, GatehouseMetrics metrics, ILogger<WithdrawalService> logger)
    {
        _members = members;
        _withdrawals = withdrawals;
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
}
