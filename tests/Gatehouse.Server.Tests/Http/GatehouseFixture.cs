using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// One host per test class (xunit cannot build <see cref="GatehouseFactory"/> itself as a class fixture: its
/// constructor's optional parameters are not resolvable), with a member whose login proves the host still serves.
/// </summary>
public class GatehouseFixture : IAsyncLifetime
{
    public GatehouseFixture()
        : this(null)
    {
    }

    protected GatehouseFixture(Action<IDictionary<string, string?>>? configure)
    {
        Factory = new GatehouseFactory(configure);
    }

    public GatehouseFactory Factory { get; }

    public TestMember Member { get; private set; } = null!;

    /// <summary>The member's session as it rotates: tests of one class run one after another, so each takes it forward.</summary>
    public string MemberRefreshToken { get; set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        Member = await Factory.SignupAsync();
        MemberRefreshToken = Member.RefreshToken;
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A host whose failed-login limits are out of the way (for tests that fail many logins on purpose).</summary>
public sealed class UnthrottledGatehouseFixture : GatehouseFixture
{
    public UnthrottledGatehouseFixture()
        : base(s =>
        {
            s["Gatehouse:Throttling:MaxFailuresPerAccountAndAddress"] = "1000";
            s["Gatehouse:Throttling:MaxFailuresPerAccount"] = "1000";
            s["Gatehouse:Throttling:MaxFailuresPerAddress"] = "1000";
        })
    {
    }
}

/// <summary>A host that blocks an account from an address after 3 failed logins (instead of 5).</summary>
public sealed class ThrottledGatehouseFixture : GatehouseFixture
{
    public ThrottledGatehouseFixture()
        : base(s => s["Gatehouse:Throttling:MaxFailuresPerAccountAndAddress"] = "3")
    {
    }
}
