using System.Net;
using System.Net.Http.Json;
using Gatehouse.Core.Members;
using Gatehouse.Core.Passwords;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Tests.Http;

/// <summary>Raising the argon2id parameters takes effect member by member, at their next login.</summary>
public sealed class PasswordRehashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_login_rehashes_a_password_stored_with_weaker_parameters()
    {
        await using var factory = new GatehouseFactory(settings => settings["Gatehouse:Passwords:Iterations"] = "3");
        await factory.InitializeAsync();
        using var client = factory.CreateApiClient();

        // A member whose hash dates from the old parameters (t=2), stored as the server would have stored it.
        var old = new Argon2idPasswordHasher(Options.Create(new PasswordOptions { Iterations = 2 }), NullLogger<Argon2idPasswordHasher>.Instance);
        const string password = "correct horse battery staple";
        var email = "rehash-" + Guid.NewGuid().ToString("N")[..8] + "@example.com";
        var members = factory.Services.GetRequiredService<IMemberStore>();
        var now = DateTimeOffset.UtcNow;
        Assert.True(await members.TryAddAsync(
            new Member { Id = MemberId.New(), Email = email, NormalizedEmail = email, Nickname = "Old", PasswordHash = await old.HashAsync(password, Ct), CreatedAt = now, UpdatedAt = now },
            Ct));
        Assert.Contains(",t=2,", (await members.FindByEmailAsync(email, Ct))!.PasswordHash, StringComparison.Ordinal);

        using var login = await client.PostAsJsonAsync("/auth/login", new { provider = "password", email, password, refreshTokenDelivery = "body" }, Ct);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var stored = (await members.FindByEmailAsync(email, Ct))!.PasswordHash!;
        Assert.Contains(",t=3,", stored, StringComparison.Ordinal);
        using var again = await client.PostAsJsonAsync("/auth/login", new { provider = "password", email, password, refreshTokenDelivery = "body" }, Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
