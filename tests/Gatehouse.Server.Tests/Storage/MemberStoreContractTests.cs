using Gatehouse.Core.Members;
using Gatehouse.Server.Storage.Database;
using Xunit;
using static Gatehouse.Server.Tests.Storage.TestSessions;

namespace Gatehouse.Server.Tests.Storage;

public sealed class MemberStoreContractTests(StorageFixture fixture) : IClassFixture<StorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task An_added_member_is_found_by_id_and_by_email(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember();

        Assert.True(await store.TryAddAsync(member, Ct));

        AssertSame(member, await store.FindByIdAsync(member.Id, Ct));
        AssertSame(member, await store.FindByEmailAsync(member.NormalizedEmail!, Ct));
        Assert.Null(await store.FindByIdAsync(MemberId.New(), Ct));
        Assert.Null(await store.FindByEmailAsync("nobody-" + Guid.NewGuid().ToString("N") + "@example.com", Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task An_email_with_a_nul_character_finds_nobody(StoreKind kind)
    {
        Assert.Null(await Store(kind).FindByEmailAsync("\0@example.com", Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task A_taken_email_is_refused(StoreKind kind)
    {
        var store = Store(kind);
        var first = NewMember();
        var second = NewMember(email: first.Email!.ToUpperInvariant());

        Assert.True(await store.TryAddAsync(first, Ct));
        Assert.False(await store.TryAddAsync(second, Ct));

        Assert.Null(await store.FindByIdAsync(second.Id, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Members_without_email_never_collide(StoreKind kind)
    {
        var store = Store(kind);

        Assert.True(await store.TryAddAsync(NewMember(email: null), Ct));
        Assert.True(await store.TryAddAsync(NewMember(email: null), Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Of_twenty_concurrent_sign_ups_with_one_email_exactly_one_lands(StoreKind kind)
    {
        var store = Store(kind);
        var email = "race-" + Guid.NewGuid().ToString("N") + "@example.com";
        var members = Enumerable.Range(0, 20).Select(_ => NewMember(email)).ToList();

        var added = await Task.WhenAll(members.Select(m => Task.Run(() => store.TryAddAsync(m, Ct), Ct)));

        Assert.Equal(1, added.Count(a => a));
        var winner = members[Array.IndexOf(added, true)];
        Assert.Equal(winner.Id, (await store.FindByEmailAsync(EmailAddress.Normalize(email), Ct))!.Id);
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task An_update_saves_nickname_email_and_password_hash(StoreKind kind)
    {
        var store = Store(kind);
        var member = NewMember();
        await store.TryAddAsync(member, Ct);
        var oldEmail = member.NormalizedEmail!;

        member.Nickname = "Renamed";
        member.Email = "New-" + member.Email;
        member.NormalizedEmail = EmailAddress.Normalize(member.Email);
        member.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$new";
        member.UpdatedAt = member.CreatedAt + TimeSpan.FromMinutes(5);

        Assert.True(await store.UpdateAsync(member, Ct));

        AssertSame(member, await store.FindByIdAsync(member.Id, Ct));
        Assert.Null(await store.FindByEmailAsync(oldEmail, Ct));
        Assert.NotNull(await store.FindByEmailAsync(member.NormalizedEmail, Ct));
    }

    [Theory]
    [MemberData(nameof(StorageFixture.Databases), MemberType = typeof(StorageFixture))]
    public async Task Updating_a_missing_member_returns_false(StoreKind kind)
    {
        Assert.False(await Store(kind).UpdateAsync(NewMember(), Ct));
    }

    private EfMemberStore Store(StoreKind kind) => new(fixture.Database(kind));

    private static Member NewMember(string? email = "")
    {
        email = email == "" ? "member-" + Guid.NewGuid().ToString("N") + "@Example.com" : email;
        var now = RealNow();
        return new Member
        {
            Id = MemberId.New(),
            Email = email,
            NormalizedEmail = email is null ? null : EmailAddress.Normalize(email),
            Nickname = "Member",
            PasswordHash = email is null ? null : "$argon2id$v=19$m=19456,t=2,p=1$old",
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    private static void AssertSame(Member expected, Member? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Email, actual.Email);
        Assert.Equal(expected.NormalizedEmail, actual.NormalizedEmail);
        Assert.Equal(expected.Nickname, actual.Nickname);
        Assert.Equal(expected.PasswordHash, actual.PasswordHash);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.UpdatedAt, actual.UpdatedAt);
    }
}
