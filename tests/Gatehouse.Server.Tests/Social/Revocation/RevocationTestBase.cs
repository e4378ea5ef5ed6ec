using Gatehouse.Server.Social.Revocation;
using Gatehouse.Server.Tests.Social.Fakes;
using Gatehouse.Server.Tests.Social.Providers;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Server.Tests.Social.Revocation;

/// <summary>
/// What every provider with a revocation must do, against its fake: a login's grant revokes the link (the fake's
/// grant is gone), a repeat is harmless, a 5xx is retried later, a missing or unreadable grant is skipped.
/// </summary>
public abstract class RevocationTestBase(FakeProviderServer fake, string providerName) : ProviderTestBase(fake, providerName)
{
    /// <summary>Kakao revokes with its admin key: no grant is kept.</summary>
    protected virtual bool UsesGrant => true;

    [Fact]
    public async Task A_login_then_a_revocation_ends_the_grant_at_the_provider()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        Assert.True(Fake.HasGrant(subject));

        var result = await revoker.RevokeAsync(ProviderName, subject, sealedGrant, Ct);

        Assert.Equal(RevocationStatus.Revoked, result.Status);
        Assert.False(Fake.HasGrant(subject));
        Assert.Equal(UsesGrant, revoker.NeedsGrant(ProviderName));
    }

    [Fact]
    public async Task Revoking_again_is_harmless_the_provider_says_nothing_is_left()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        Assert.Equal(RevocationStatus.Revoked, (await revoker.RevokeAsync(ProviderName, subject, sealedGrant, Ct)).Status);

        var again = await revoker.RevokeAsync(ProviderName, subject, sealedGrant, Ct);

        // RFC 7009 §2.2 answers 200 for a token already revoked; the presets answer their "already gone" error.
        Assert.Equal(RevocationStatus.Revoked, again.Status);
        Assert.Equal(ProviderName is "corp" or "acme", again.Error is null);
    }

    [Fact]
    public async Task A_server_error_is_retried_later_and_the_grant_stays()
    {
        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        Fake.Fault(RevocationEndpoint, FakeFault.ServerError);

        var result = await revoker.RevokeAsync(ProviderName, subject, sealedGrant, Ct);

        Assert.Equal(RevocationStatus.RetryLater, result.Status);
        Assert.Contains("500", result.Error, StringComparison.Ordinal);
        Assert.True(Fake.HasGrant(subject));
    }

    [Fact]
    public async Task A_missing_or_unreadable_grant_is_skipped_without_calling_the_provider()
    {
        if (!UsesGrant)
        {
            return;
        }

        var (revoker, subject, sealedGrant) = await LoginWithGrantAsync();
        var tampered = sealedGrant!.ToArray();
        tampered[^1] ^= 1;

        var missing = await revoker.RevokeAsync(ProviderName, subject, null, Ct);
        var unreadable = await revoker.RevokeAsync(ProviderName, subject, tampered, Ct);
        var otherKey = await Revoker().RevokeAsync(ProviderName, subject, sealedGrant, Ct);

        Assert.All([missing, unreadable, otherKey], r => Assert.Equal(RevocationStatus.Skipped, r.Status));
        Assert.Contains("no grant was kept", missing.Error, StringComparison.Ordinal);
        Assert.Contains("cannot be opened", unreadable.Error, StringComparison.Ordinal);
        Assert.Empty(Fake.Revocations);
        Assert.True(Fake.HasGrant(subject));
    }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected virtual FakeEndpoint RevocationEndpoint => FakeEndpoint.Revocation;

    internal IProviderRevoker Revoker(Action<IDictionary<string, string?>>? configure = null) =>
        Services(configure).GetRequiredService<IProviderRevoker>();

    /// <summary>Seals <paramref name="grant"/> and revokes it in a container built with <paramref name="configure"/>'s settings.</summary>
    internal Task<RevocationResult> RevokeWithAsync(Action<IDictionary<string, string?>> configure, string subject, Gatehouse.Server.Social.ProviderGrant grant)
    {
        var services = Services(configure);
        var sealedGrant = services.GetRequiredService<ProviderGrantSealer>().Seal(grant);
        return services.GetRequiredService<IProviderRevoker>().RevokeAsync(ProviderName, subject, sealedGrant, Ct);
    }

    /// <summary>A login through a container of its own; the grant sealed the way the flow seals it (null when the provider needs none).</summary>
    internal async Task<(IProviderRevoker Revoker, string Subject, byte[]? SealedGrant)> LoginWithGrantAsync(Action<IDictionary<string, string?>>? configure = null)
    {
        var services = Services(configure);
        var registry = services.GetRequiredService<Gatehouse.Server.Social.ISocialProviderRegistry>();
        Assert.True(registry.TryGet(ProviderName, out var provider));
        var redemption = await RedeemAsync(provider);
        var revoker = services.GetRequiredService<IProviderRevoker>();
        var sealedGrant = revoker.NeedsGrant(ProviderName) ? services.GetRequiredService<ProviderGrantSealer>().Seal(redemption.Grant) : null;
        return (revoker, redemption.Profile.Subject, sealedGrant);
    }
}
