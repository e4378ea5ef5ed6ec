using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Storage.Database;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>What <see cref="IMemberIdentityStore"/> promises, on SQLite and (distributed profile) PostgreSQL.</summary>
public sealed class MemberIdentityStoreContractTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private const string Google = "google";
    private const string GitHub = "github";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_member_added_with_an_identity_is_found_by_it(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember();
        var identity = NewIdentity(member.Id, Google, email: member.Email);

        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, identity, Ct));

        Assert.Equal(identity, await store.FindAsync(Google, identity.Subject, Ct));
        Assert.Equal([identity], await store.ListAsync(member.Id, Ct));
        Assert.Equal(member.Nickname, (await Members(kind).FindByIdAsync(member.Id, Ct))?.Nickname);
        Assert.Null(await store.FindAsync(GitHub, identity.Subject, Ct));
        Assert.Null(await store.FindAsync(Google, identity.Subject.ToUpperInvariant() + "x", Ct));
        Assert.Null(await store.FindAsync(Google, "\0" + identity.Subject, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task An_identity_without_email_name_or_picture_round_trips(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember(email: null);
        var identity = NewIdentity(member.Id, "kakao") with { Email = null, EmailVerified = false, Name = null, Picture = null };

        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, identity, Ct));

        Assert.Equal(identity, await store.FindAsync("kakao", identity.Subject, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task An_identity_of_another_member_is_refused_as_an_argument(StoreKind kind)
    {
        var member = NewMember();

        await Assert.ThrowsAsync<ArgumentException>(() => Store(kind).TryAddMemberAsync(member, NewIdentity(MemberId.New(), Google), Ct));

        Assert.Null(await Members(kind).FindByIdAsync(member.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Of_twenty_concurrent_first_logins_of_one_account_exactly_one_adds_a_member(StoreKind kind)
    {
        var store = Store(kind);
        var subject = NewSubject();
        var members = Enumerable.Range(0, 20).Select(_ => NewMember()).ToList();

        var outcomes = await Task.WhenAll(members.Select(m => Task.Run(() => store.TryAddMemberAsync(m, NewIdentity(m.Id, Google, subject), Ct), Ct)));

        Assert.Equal(1, outcomes.Count(o => o == AddMemberOutcome.Added));
        Assert.Equal(19, outcomes.Count(o => o == AddMemberOutcome.IdentityTaken));
        var winner = members[Array.IndexOf(outcomes, AddMemberOutcome.Added)];
        Assert.Equal(winner.Id, (await store.FindAsync(Google, subject, Ct))?.MemberId);
        foreach (var loser in members.Where(m => m != winner))
        {
            Assert.Null(await Members(kind).FindByIdAsync(loser.Id, Ct));
        }
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Two_first_logins_with_the_same_account_and_address_lose_as_identity_taken_not_email_taken(StoreKind kind)
    {
        var store = Store(kind);
        var subject = NewSubject();
        var email = "twice-" + TestEnvironment.RandomToken(6) + "@example.com";
        var members = Enumerable.Range(0, 10).Select(_ => NewMember(email)).ToList();

        var outcomes = await Task.WhenAll(members.Select(m => Task.Run(() => store.TryAddMemberAsync(m, NewIdentity(m.Id, Google, subject, email), Ct), Ct)));

        Assert.Equal(1, outcomes.Count(o => o == AddMemberOutcome.Added));
        Assert.Equal(9, outcomes.Count(o => o == AddMemberOutcome.IdentityTaken));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_taken_email_stores_neither_the_member_nor_the_identity(StoreKind kind)
    {
        var store = Store(kind);
        var existing = NewMember();
        Assert.True(await Members(kind).TryAddAsync(existing, Ct));
        var member = NewMember(existing.Email!.ToUpperInvariant());
        var identity = NewIdentity(member.Id, Google, email: member.Email);

        Assert.Equal(AddMemberOutcome.EmailTaken, await store.TryAddMemberAsync(member, identity, Ct));

        Assert.Null(await store.FindAsync(Google, identity.Subject, Ct));
        Assert.Null(await Members(kind).FindByIdAsync(member.Id, Ct));
        await using var db = await fixture.Database(kind).CreateDbContextAsync(Ct);
        Assert.False(await db.MemberIdentities.AnyAsync(i => i.Subject == identity.Subject, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Linking_covers_every_outcome(StoreKind kind)
    {
        var store = Store(kind);
        var member = await AddPasswordMemberAsync(kind);
        var other = await AddPasswordMemberAsync(kind);
        var github = NewIdentity(member.Id, GitHub);

        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(github, Ct));
        Assert.Equal(github, await store.FindAsync(GitHub, github.Subject, Ct));

        // The same account again: the profile is refreshed, the link time kept.
        var again = github with { Name = "Renamed", Email = "renamed@example.com", EmailVerified = false, Picture = null, LinkedAt = github.LinkedAt.AddMinutes(5) };
        Assert.Equal(LinkOutcome.AlreadyLinked, await store.TryLinkAsync(again, Ct));
        Assert.Equal(again with { LinkedAt = github.LinkedAt }, await store.FindAsync(GitHub, github.Subject, Ct));

        Assert.Equal(LinkOutcome.LinkedToAnotherMember, await store.TryLinkAsync(github with { MemberId = other.Id }, Ct));
        Assert.Equal(LinkOutcome.ProviderAlreadyLinked, await store.TryLinkAsync(NewIdentity(member.Id, GitHub), Ct));
        Assert.Equal(LinkOutcome.MemberMissing, await store.TryLinkAsync(NewIdentity(MemberId.New(), GitHub), Ct));

        Assert.Equal(member.Id, (await store.FindAsync(GitHub, github.Subject, Ct))?.MemberId);
        Assert.Single(await store.ListAsync(member.Id, Ct));
        Assert.Empty(await store.ListAsync(other.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Of_ten_members_racing_to_link_one_account_exactly_one_links_it(StoreKind kind)
    {
        var store = Store(kind);
        var members = new List<Member>();
        for (var i = 0; i < 10; i++)
        {
            members.Add(await AddPasswordMemberAsync(kind));
        }

        var subject = NewSubject();

        var outcomes = await Task.WhenAll(members.Select(m => Task.Run(() => store.TryLinkAsync(NewIdentity(m.Id, Google, subject), Ct), Ct)));

        Assert.Equal(1, outcomes.Count(o => o == LinkOutcome.Linked));
        Assert.Equal(9, outcomes.Count(o => o == LinkOutcome.LinkedToAnotherMember));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_member_lists_its_own_identities_in_link_order(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember();
        var now = RealNow();
        var google = NewIdentity(member.Id, Google, linkedAt: now);
        var github = NewIdentity(member.Id, GitHub, linkedAt: now.AddSeconds(1));
        var kakao = NewIdentity(member.Id, "kakao", linkedAt: now.AddSeconds(2));
        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, google, Ct));
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(kakao, Ct));
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(github, Ct));
        var stranger = NewMember();
        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(stranger, NewIdentity(stranger.Id, Google), Ct));

        Assert.Equal([google, github, kakao], await store.ListAsync(member.Id, Ct));
        Assert.Empty(await store.ListAsync(MemberId.New(), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_profile_is_the_member_and_its_identities_in_one_round_trip(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember(password: true);
        var now = RealNow();
        var google = NewIdentity(member.Id, Google, linkedAt: now);
        var kakao = NewIdentity(member.Id, "kakao", linkedAt: now.AddSeconds(2)) with { Email = null, EmailVerified = false, Name = null, Picture = null };
        var github = NewIdentity(member.Id, GitHub, linkedAt: now.AddSeconds(1));
        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, google, Ct));
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(kakao, Ct));
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(github, Ct));
        var bare = await AddPasswordMemberAsync(kind);
        var counter = new CommandCounter();
        var counted = new EfMemberIdentityStore(await InterceptedDatabase.CreateAsync(fixture, kind, counter, Ct));

        var profile = await counted.FindProfileAsync(member.Id, Ct);

        Assert.Single(counter.Commands);
        Assert.NotNull(profile);
        Assert.Equal((member.Id, member.Email, member.NormalizedEmail, member.Nickname, member.PasswordHash, member.CreatedAt, member.UpdatedAt), (profile.Member.Id, profile.Member.Email, profile.Member.NormalizedEmail, profile.Member.Nickname, profile.Member.PasswordHash, profile.Member.CreatedAt, profile.Member.UpdatedAt));
        Assert.Equal([google, github, kakao], profile.Identities);
        Assert.DoesNotContain("sealed_grant", counter.Commands[0], StringComparison.Ordinal);

        counter.Reset();
        var withoutIdentities = await counted.FindProfileAsync(bare.Id, Ct);
        Assert.Single(counter.Commands);
        Assert.Equal(bare.Id, withoutIdentities?.Member.Id);
        Assert.Empty(withoutIdentities!.Identities);
        Assert.Null(await counted.FindProfileAsync(MemberId.New(), Ct));

        // A tombstone is nobody's profile.
        await using (var db = await fixture.Database(kind).CreateDbContextAsync(Ct))
        {
            await db.Members.Where(m => m.PublicId == bare.Id.Value).ExecuteUpdateAsync(s => s.SetProperty(m => m.WithdrawnAt, DateTimeOffset.UtcNow), Ct);
        }

        Assert.Null(await counted.FindProfileAsync(bare.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Unlinking_refuses_to_remove_the_last_way_to_log_in(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember(password: false);
        var google = NewIdentity(member.Id, Google);
        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, google, Ct));
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(NewIdentity(member.Id, GitHub), Ct));

        Assert.Equal(UnlinkOutcome.Unlinked, await store.UnlinkAsync(member.Id, GitHub, Ct));
        Assert.Equal(UnlinkOutcome.NotLinked, await store.UnlinkAsync(member.Id, GitHub, Ct));
        Assert.Equal(UnlinkOutcome.NotLinked, await store.UnlinkAsync(member.Id, "Google", Ct));
        Assert.Equal(UnlinkOutcome.LastLoginMethod, await store.UnlinkAsync(member.Id, Google, Ct));
        Assert.Equal(UnlinkOutcome.NotLinked, await store.UnlinkAsync(MemberId.New(), Google, Ct));

        Assert.Equal([google], await store.ListAsync(member.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_member_with_a_password_may_unlink_its_only_identity(StoreKind kind)
    {
        var store = Store(kind);
        var member = await AddPasswordMemberAsync(kind);
        var google = NewIdentity(member.Id, Google);
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(google, Ct));

        Assert.Equal(UnlinkOutcome.Unlinked, await store.UnlinkAsync(member.Id, Google, Ct));

        Assert.Empty(await store.ListAsync(member.Id, Ct));
        Assert.Null(await store.FindAsync(Google, google.Subject, Ct));

        // The account is free again, for anyone.
        var other = await AddPasswordMemberAsync(kind);
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(google with { MemberId = other.Id }, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Of_two_concurrent_unlinks_of_a_password_less_members_two_identities_exactly_one_succeeds(StoreKind kind)
    {
        var store = Store(kind);
        var members = new List<MemberId>();
        for (var i = 0; i < 5; i++)
        {
            var member = NewMember(password: false);
            Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, NewIdentity(member.Id, Google), Ct));
            Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(NewIdentity(member.Id, GitHub), Ct));
            members.Add(member.Id);
        }

        // Every read of identities pauses before the unlink goes on, so without the lock both unlinks of a pair would
        // count two identities before either deletes one; with it the second reads only after the first committed.
        var racing = new EfMemberIdentityStore(await SlowReads.CreateAsync(fixture, kind, "member_identities", TimeSpan.FromMilliseconds(100), Ct));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var unlinks = members
            .SelectMany(m => new[] { Google, GitHub }.Select(async p =>
            {
                await gate.Task;
                return await racing.UnlinkAsync(m, p, Ct);
            }))
            .ToList();
        gate.SetResult();
        var outcomes = await Task.WhenAll(unlinks);

        for (var i = 0; i < members.Count; i++)
        {
            var pair = new[] { outcomes[2 * i], outcomes[(2 * i) + 1] };
            Assert.Equal(1, pair.Count(o => o == UnlinkOutcome.Unlinked));
            Assert.Equal(1, pair.Count(o => o == UnlinkOutcome.LastLoginMethod));
            Assert.Single(await store.ListAsync(members[i], Ct));
        }
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_login_records_the_profile_and_time_of_that_identity_only(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember();
        var google = NewIdentity(member.Id, Google, email: member.Email);
        var github = NewIdentity(member.Id, GitHub);
        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, google, Ct));
        Assert.Equal(LinkOutcome.Linked, await store.TryLinkAsync(github, Ct));

        var login = google with
        {
            Email = "changed-" + TestEnvironment.RandomToken(4) + "@example.com",
            EmailVerified = false,
            Name = "New Name",
            Picture = "https://example.com/new.png",
            LinkedAt = google.LinkedAt.AddDays(1),
            LastLoginAt = Ms(google.LastLoginAt.AddHours(3).AddTicks(1234)),
        };
        var profile = new ExternalProfile(Google, google.Subject, login.Email, login.EmailVerified, login.Name, login.Picture);
        byte[] grant = [1, 2, 3];
        Assert.Equal(member.Id, await store.RecordLoginAsync(profile, login.LastLoginAt, grant, Ct));
        Assert.Equal(grant, await SealedGrantAsync(kind, Google, google.Subject));

        // A login without a grant keeps the one kept; a later grant replaces it.
        Assert.Equal(member.Id, await store.RecordLoginAsync(profile, login.LastLoginAt, null, Ct));
        Assert.Equal(grant, await SealedGrantAsync(kind, Google, google.Subject));
        Assert.Equal(member.Id, await store.RecordLoginAsync(profile, login.LastLoginAt, [4, 5], Ct));
        Assert.Equal([4, 5], await SealedGrantAsync(kind, Google, google.Subject));
        Assert.Null(await SealedGrantAsync(kind, GitHub, github.Subject));

        Assert.Equal(login with { LinkedAt = google.LinkedAt }, await store.FindAsync(Google, google.Subject, Ct));
        Assert.Equal(github, await store.FindAsync(GitHub, github.Subject, Ct));

        // Nothing is linked by a login, and a subject differing in case or by a NUL is another subject.
        var other = NewIdentity(member.Id, "kakao");
        Assert.Null(await store.RecordLoginAsync(new ExternalProfile("kakao", other.Subject, null, false, null, null), login.LastLoginAt, null, Ct));
        Assert.Null(await store.RecordLoginAsync(profile with { Subject = google.Subject.ToUpperInvariant() + "x" }, login.LastLoginAt, null, Ct));
        Assert.Null(await store.RecordLoginAsync(profile with { Subject = "\0" + google.Subject }, login.LastLoginAt, null, Ct));
        Assert.Equal(2, (await store.ListAsync(member.Id, Ct)).Count);
        Assert.Equal(login with { LinkedAt = google.LinkedAt }, await store.FindAsync(Google, google.Subject, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Deleting_a_member_deletes_its_identities(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember();
        var google = NewIdentity(member.Id, Google);
        Assert.Equal(AddMemberOutcome.Added, await store.TryAddMemberAsync(member, google, Ct));

        await using (var db = await fixture.Database(kind).CreateDbContextAsync(Ct))
        {
            Assert.Equal(1, await db.Members.Where(m => m.PublicId == member.Id.Value).ExecuteDeleteAsync(Ct));
        }

        Assert.Null(await store.FindAsync(Google, google.Subject, Ct));
        await using var check = await fixture.Database(kind).CreateDbContextAsync(Ct);
        Assert.False(await check.MemberIdentities.AnyAsync(i => i.Subject == google.Subject, Ct));
    }

    private EfMemberIdentityStore Store(StoreKind kind) => new(fixture.Database(kind));

    private EfMemberStore Members(StoreKind kind) => new(fixture.Database(kind));

    private async Task<Member> AddPasswordMemberAsync(StoreKind kind)
    {
        var member = NewMember(password: true);
        Assert.True(await Members(kind).TryAddAsync(member, Ct));
        return member;
    }

    private static string NewSubject() => "sub-" + TestEnvironment.RandomToken(8);

    private static MemberIdentity NewIdentity(MemberId member, string provider, string? subject = null, string? email = null, DateTimeOffset? linkedAt = null)
    {
        var profile = new ExternalProfile(
            provider,
            subject ?? NewSubject(),
            email ?? "id-" + TestEnvironment.RandomToken(6) + "@example.com",
            EmailVerified: true,
            Name: "Ünïcødé Name 🚲",
            Picture: "https://example.com/p/" + TestEnvironment.RandomToken(4) + ".png");
        return MemberIdentity.From(member, profile, linkedAt ?? RealNow());
    }

    private static Member NewMember(string? email = "", bool password = false)
    {
        email = email == "" ? "member-" + TestEnvironment.RandomToken(8) + "@Example.com" : email;
        var now = RealNow();
        return new Member
        {
            Id = MemberId.New(),
            Email = email,
            NormalizedEmail = email is null ? null : EmailAddress.Normalize(email),
            Nickname = "Member",
            PasswordHash = password ? "$argon2id$v=19$m=19456,t=2,p=1$hash" : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private async Task<byte[]?> SealedGrantAsync(StoreKind kind, string provider, string subject)
    {
        await using var db = await fixture.Database(kind).CreateDbContextAsync(Ct);
        return await db.MemberIdentities.Where(i => i.Provider == provider && i.Subject == subject).Select(i => i.SealedGrant).SingleAsync(Ct);
    }
}
