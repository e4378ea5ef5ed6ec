using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Storage.Redis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>What every <see cref="IRefreshSessionStore"/> promises, run against each one this profile has.</summary>
public sealed class RefreshSessionStoreContractTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(RealNow());

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_created_session_is_found_as_created(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());

        await store.CreateAsync(created, Ct);

        Assert.Equal(created.Session, await store.FindAsync(created.Session.Id, Ct));
        Assert.Null(await store.FindAsync(SessionId.New(), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_session_without_user_agent_round_trips(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());
        created = created with { Session = created.Session with { UserAgent = null } };

        await store.CreateAsync(created, Ct);

        Assert.Null((await store.FindAsync(created.Session.Id, Ct))!.UserAgent);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_non_ascii_user_agent_round_trips(StoreKind kind)
    {
        var store = Store(kind);
        var userAgent = SessionService.CondenseUserAgent(string.Concat(Enumerable.Repeat("Ünïcødé 🚲 ", 10)))!;
        var created = New(MemberId.New(), _time.GetUtcNow(), userAgent: userAgent);

        await store.CreateAsync(created, Ct);

        Assert.Equal(userAgent, (await store.FindAsync(created.Session.Id, Ct))!.UserAgent);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_members_live_sessions_are_listed_newest_first(StoreKind kind)
    {
        var store = Store(kind);
        var member = MemberId.New();
        var sessions = new List<RefreshSession>();
        for (var i = 0; i < 3; i++)
        {
            var created = New(member, _time.GetUtcNow());
            await store.CreateAsync(created, Ct);
            sessions.Add(created.Session);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await store.CreateAsync(New(MemberId.New(), _time.GetUtcNow()), Ct);
        var idleEnded = New(member, _time.GetUtcNow() - TimeSpan.FromHours(2), idle: TimeSpan.FromHours(1));
        await store.CreateAsync(idleEnded, Ct);

        var listed = await store.ListByMemberAsync(member, Ct);

        Assert.Equal(sessions.AsEnumerable().Reverse(), listed);
        Assert.Empty(await store.ListByMemberAsync(MemberId.New(), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Revoking_deletes_one_session_once(StoreKind kind)
    {
        var store = Store(kind);
        var member = MemberId.New();
        var kept = New(member, _time.GetUtcNow());
        var revoked = New(member, _time.GetUtcNow());
        await store.CreateAsync(kept, Ct);
        await store.CreateAsync(revoked, Ct);

        // The delete names whose session it was (what session.revoked carries), and only once.
        Assert.Equal(member, await store.RevokeAsync(revoked.Session.Id, Ct));
        Assert.Null(await store.RevokeAsync(revoked.Session.Id, Ct));
        Assert.Null(await store.RevokeAsync(SessionId.New(), Ct));

        Assert.Null(await store.FindAsync(revoked.Session.Id, Ct));
        Assert.Equal([kept.Session], await store.ListByMemberAsync(member, Ct));
        var rotation = await store.RotateAsync(Rotate(revoked.Session.Id, revoked.TokenHash, _time.GetUtcNow()), Ct);
        Assert.Equal(RotationOutcome.NotFound, rotation.Outcome);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Revoking_all_deletes_every_session_of_the_member_only(StoreKind kind)
    {
        var store = Store(kind);
        var member = MemberId.New();
        var other = New(MemberId.New(), _time.GetUtcNow());
        await store.CreateAsync(other, Ct);
        var mine = new List<NewRefreshSession>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add(New(member, _time.GetUtcNow()));
            await store.CreateAsync(mine[^1], Ct);
        }

        Assert.Equal(3, await store.RevokeAllAsync(member, Ct));

        Assert.Empty(await store.ListByMemberAsync(member, Ct));
        foreach (var session in mine)
        {
            Assert.Null(await store.FindAsync(session.Session.Id, Ct));
        }

        Assert.Equal(other.Session, await store.FindAsync(other.Session.Id, Ct));
        Assert.Equal(0, await store.RevokeAllAsync(member, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Rotating_the_current_token_slides_idle_expiry(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow(), idle: TimeSpan.FromHours(1));
        await store.CreateAsync(created, Ct);
        _time.Advance(TimeSpan.FromMinutes(20));
        var now = Ms(_time.GetUtcNow());

        var result = await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, now, idle: TimeSpan.FromHours(1)), Ct);

        Assert.Equal(RotationOutcome.Rotated, result.Outcome);
        var expected = created.Session with { LastUsedAt = now, IdleExpiresAt = now + TimeSpan.FromHours(1) };
        Assert.Equal(expected, result.Session);
        Assert.Equal(expected, await store.FindAsync(created.Session.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Idle_expiry_never_slides_past_absolute_expiry(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow(), idle: TimeSpan.FromMinutes(10), absolute: TimeSpan.FromMinutes(15));
        await store.CreateAsync(created, Ct);
        _time.Advance(TimeSpan.FromMinutes(9));

        var result = await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow(), idle: TimeSpan.FromMinutes(10)), Ct);

        Assert.Equal(RotationOutcome.Rotated, result.Outcome);
        Assert.Equal(created.Session.AbsoluteExpiresAt, result.Session!.IdleExpiresAt);
        Assert.Equal(created.Session.AbsoluteExpiresAt, result.Session.ExpiresAt);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_chain_of_rotations_keeps_accepting_each_successor(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());
        await store.CreateAsync(created, Ct);
        var current = created.TokenHash;

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(5));
            var request = Rotate(created.Session.Id, current, _time.GetUtcNow());
            Assert.Equal(RotationOutcome.Rotated, (await store.RotateAsync(request, Ct)).Outcome);
            current = request.SuccessorHash;
        }
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task The_previous_token_within_the_leeway_gets_the_current_nonce_and_hash(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());
        await store.CreateAsync(created, Ct);
        var first = Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow());
        var rotated = await store.RotateAsync(first, Ct);
        _time.Advance(Leeway);

        var replay = await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.WithinLeeway, replay.Outcome);
        Assert.Equal(first.SuccessorNonce, replay.CurrentNonce);
        Assert.Equal(first.SuccessorHash, replay.CurrentHash);
        Assert.Equal(rotated.Session, replay.Session);

        // Nothing changed: the successor is still current.
        var next = await store.RotateAsync(Rotate(created.Session.Id, first.SuccessorHash, _time.GetUtcNow()), Ct);
        Assert.Equal(RotationOutcome.Rotated, next.Outcome);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task The_previous_token_after_the_leeway_revokes_the_family(StoreKind kind)
    {
        var store = Store(kind);
        var member = MemberId.New();
        var created = New(member, _time.GetUtcNow());
        await store.CreateAsync(created, Ct);
        var first = Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow());
        await store.RotateAsync(first, Ct);
        _time.Advance(Leeway + TimeSpan.FromMilliseconds(1));

        var replay = await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.Reused, replay.Outcome);
        Assert.Null(replay.Session);
        Assert.Equal(member, replay.RevokedMember);
        Assert.Null(await store.FindAsync(created.Session.Id, Ct));
        Assert.Empty(await store.ListByMemberAsync(member, Ct));
        var legitimate = await store.RotateAsync(Rotate(created.Session.Id, first.SuccessorHash, _time.GetUtcNow()), Ct);
        Assert.Equal(RotationOutcome.NotFound, legitimate.Outcome);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task An_older_token_revokes_the_family_even_within_the_leeway(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());
        await store.CreateAsync(created, Ct);
        var first = Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow());
        await store.RotateAsync(first, Ct);
        await store.RotateAsync(Rotate(created.Session.Id, first.SuccessorHash, _time.GetUtcNow()), Ct);

        // Two generations old: neither current nor previous.
        var replay = await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.Reused, replay.Outcome);
        Assert.Null(await store.FindAsync(created.Session.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task An_unknown_hash_for_a_live_session_revokes_it(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());
        await store.CreateAsync(created, Ct);

        var result = await store.RotateAsync(Rotate(created.Session.Id, RandomHash(), _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.Reused, result.Outcome);
        Assert.Null(await store.FindAsync(created.Session.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task An_unknown_session_is_not_found(StoreKind kind)
    {
        var result = await Store(kind).RotateAsync(Rotate(SessionId.New(), RandomHash(), _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.NotFound, result.Outcome);
        Assert.Null(result.Session);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_session_past_its_idle_expiry_is_gone(StoreKind kind)
    {
        var store = Store(kind);
        var member = MemberId.New();
        var created = New(member, _time.GetUtcNow(), idle: TimeSpan.FromHours(1));
        await store.CreateAsync(created, Ct);
        _time.Advance(TimeSpan.FromHours(1));

        var result = await store.RotateAsync(Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow()), Ct);

        Assert.Equal(RotationOutcome.NotFound, result.Outcome);
        Assert.Null(await store.FindAsync(created.Session.Id, Ct));
        Assert.Empty(await store.ListByMemberAsync(member, Ct));
        Assert.Null(await store.RevokeAsync(created.Session.Id, Ct));
        Assert.Equal(0, await store.RevokeAllAsync(member, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task A_session_past_its_absolute_expiry_is_gone_even_when_used(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow(), idle: TimeSpan.FromHours(1), absolute: TimeSpan.FromHours(2));
        await store.CreateAsync(created, Ct);
        var current = created.TokenHash;
        for (var i = 0; i < 4; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(30));
            var request = Rotate(created.Session.Id, current, _time.GetUtcNow(), idle: TimeSpan.FromHours(1));
            var outcome = (await store.RotateAsync(request, Ct)).Outcome;
            Assert.Equal(i < 3 ? RotationOutcome.Rotated : RotationOutcome.NotFound, outcome);
            current = request.SuccessorHash;
        }

        Assert.Null(await store.FindAsync(created.Session.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.SessionStores), MemberType = typeof(StorageFixture))]
    public async Task Of_fifty_concurrent_rotations_of_one_token_one_rotates_and_the_rest_share_its_successor(StoreKind kind)
    {
        var store = Store(kind);
        var created = New(MemberId.New(), _time.GetUtcNow());
        await store.CreateAsync(created, Ct);
        var requests = Enumerable.Range(0, 50).Select(_ => Rotate(created.Session.Id, created.TokenHash, _time.GetUtcNow())).ToList();

        var results = await Task.WhenAll(requests.Select(r => Task.Run(() => store.RotateAsync(r, Ct), Ct)));

        var winners = Enumerable.Range(0, 50).Where(i => results[i].Outcome == RotationOutcome.Rotated).ToList();
        var winner = requests[Assert.Single(winners)];
        var losers = results.Where(r => r.Outcome != RotationOutcome.Rotated).ToList();
        Assert.Equal(49, losers.Count);
        Assert.All(losers, r =>
        {
            Assert.Equal(RotationOutcome.WithinLeeway, r.Outcome);
            Assert.Equal(winner.SuccessorHash, r.CurrentHash);
            Assert.Equal(winner.SuccessorNonce, r.CurrentNonce);
        });
        var next = await store.RotateAsync(Rotate(created.Session.Id, winner.SuccessorHash, _time.GetUtcNow()), Ct);
        Assert.Equal(RotationOutcome.Rotated, next.Outcome);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_member_who_withdrew_gets_no_session_in_the_database(StoreKind kind)
    {
        var store = Store(kind);
        var live = await AddMemberAsync(kind, withdrawn: false);
        var gone = await AddMemberAsync(kind, withdrawn: true);

        await store.CreateAsync(New(live, _time.GetUtcNow()), Ct);
        await Assert.ThrowsAsync<MemberWithdrawnException>(() => store.CreateAsync(New(gone, _time.GetUtcNow()), Ct));

        Assert.Single(await store.ListByMemberAsync(live, Ct));
        Assert.Empty(await store.ListByMemberAsync(gone, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_session_started_while_a_withdrawal_holds_the_member_waits_for_it_and_is_refused(StoreKind kind)
    {
        var store = Store(kind);
        var member = await AddMemberAsync(kind, withdrawn: false);

        // What a withdrawal does (EfWithdrawalStore): the member's row locked in a transaction (SQLite's is immediate:
        // the write lock), its sessions deleted, the tombstone written, then the commit. A login that read the member
        // before that began starts its session meanwhile: before the fix it was inserted after the deletion and lived on.
        await using var db = await fixture.Database(kind).CreateDbContextAsync(Ct);
        await using var withdrawal = await db.Database.BeginTransactionAsync(Ct);
        Assert.NotNull(await EfWithdrawalStore.LockLiveMemberAsync(db, db.Members.Where(m => m.PublicId == member.Value), Ct));
        // On a thread of its own: Microsoft.Data.Sqlite waits for a lock synchronously, inside the call.
        var login = Task.Run(() => store.CreateAsync(New(member, _time.GetUtcNow()), Ct), Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        var waited = !login.IsCompleted;
        await db.RefreshSessions.Where(s => s.MemberId == member.Value).ExecuteDeleteAsync(Ct);
        await db.Members.Where(m => m.PublicId == member.Value).ExecuteUpdateAsync(u => u.SetProperty(m => m.WithdrawnAt, _time.GetUtcNow()), Ct);
        await withdrawal.CommitAsync(Ct);

        await Assert.ThrowsAsync<MemberWithdrawnException>(() => login);
        Assert.True(waited, "the session was written while the withdrawal held the member");
        Assert.Empty(await store.ListByMemberAsync(member, Ct));
    }

    private async Task<MemberId> AddMemberAsync(StoreKind kind, bool withdrawn)
    {
        var id = MemberId.New();
        await using var db = await fixture.Database(kind).CreateDbContextAsync(Ct);
        var now = _time.GetUtcNow();
        db.Members.Add(new MemberRow { PublicId = id.Value, Nickname = "n", CreatedAt = now, UpdatedAt = now, WithdrawnAt = withdrawn ? now : null });
        await db.SaveChangesAsync(Ct);
        return id;
    }

    private IRefreshSessionStore Store(StoreKind kind) => kind switch
    {
        StoreKind.Redis => new RedisRefreshSessionStore(fixture.Redis, _time),
        _ => new EfRefreshSessionStore(fixture.Database(kind), _time, TestSessions.DatabaseOptionsFor(kind)),
    };
}
