using System.Data.Common;
using System.Net;
using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Outbox;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Tests.Infrastructure;
using Gatehouse.Server.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// A link and a withdrawal of the same member at once: the link is held right after it read the member, the withdrawal
/// (DELETE /members/me on the real host) goes in, then the link goes on. Whichever order the database lets them run in,
/// no identity is ever left on the tombstone.
/// </summary>
public sealed class LinkWithdrawalRaceTests
{
    [Fact]
    public async Task A_link_racing_a_withdrawal_never_attaches_an_identity_to_the_tombstone()
    {
        await using var factory = new GatehouseFactory();
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();
        var member = await factory.SignupAsync(client);
        var id = new MemberId(Claim(member.AccessToken, "sub"));
        var hold = new HoldAfterMemberRead();
        var racing = new EfMemberIdentityStore(InterceptedDatabase.Create(factory.Settings["Gatehouse:Database:Provider"]!, factory.Settings["ConnectionStrings:Gatehouse"]!, hold));
        var now = DateTimeOffset.UtcNow;
        var identity = new MemberIdentity(id, "github", "gh-" + TestEnvironment.RandomToken(8), null, false, null, null, now, now);

        var link = Task.Run(() => racing.TryLinkAsync(identity, Ct), Ct);
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var withdrawal = Task.Run(() => SendBearerAsync(client, HttpMethod.Delete, "/members/me", member.AccessToken), Ct);

        // Unlocked, the withdrawal commits during the hold; locked out (the fix), it waits for the link to commit.
        await Task.WhenAny(withdrawal, Task.Delay(TimeSpan.FromSeconds(1), Ct));
        hold.Release();
        var outcome = await link;
        using (var withdrawn = await withdrawal)
        {
            Assert.Equal(HttpStatusCode.Accepted, withdrawn.StatusCode);
        }

        Assert.Contains(outcome, new[] { LinkOutcome.Linked, LinkOutcome.MemberMissing });
        var db = await factory.Services.GetRequiredService<IDbContextFactory<GatehouseDbContext>>().CreateDbContextAsync(Ct);
        await using (db)
        {
            Assert.False(await db.MemberIdentities.AnyAsync(i => i.Provider == "github" && i.Subject == identity.Subject, Ct));
            Assert.NotNull(await db.Members.Where(m => m.PublicId == id.Value).Select(m => m.WithdrawnAt).SingleAsync(Ct));

            // A link that won is withdrawn with the rest: its provider is revoked like every other.
            var revocations = await db.OutboxEntries.CountAsync(e => e.Kind == OutboxKinds.RevokeProvider && e.Target == "github", Ct);
            Assert.Equal(outcome == LinkOutcome.Linked ? 1 : 0, revocations);
        }

        using var me = await SendBearerAsync(client, HttpMethod.Get, "/members/me", member.AccessToken);
        await AssertProblemAsync(me, HttpStatusCode.Unauthorized, "invalid_token");
    }

    /// <summary>Holds the first command that reads <c>members</c>, after it ran, until released.</summary>
    private sealed class HoldAfterMemberRead : DbCommandInterceptor
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;

        public Task Reached => _reached.Task;

        public void Release() => _released.TrySetResult();

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (ReadsMembers(command.CommandText) && Interlocked.Exchange(ref _held, 1) == 0)
            {
                _reached.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            return result;
        }

        // SQLite's SQL quotes every name; Npgsql's only those that need it.
        private static bool ReadsMembers(string sql) =>
            sql.Contains("FROM \"members\"", StringComparison.Ordinal) || sql.Contains("FROM members", StringComparison.Ordinal);
    }
}
