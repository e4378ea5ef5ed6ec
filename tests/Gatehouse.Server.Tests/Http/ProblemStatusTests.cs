using System.Reflection;
using Gatehouse.Core.Social;
using Gatehouse.Server.Hosting;

namespace Gatehouse.Server.Tests.Http;

/// <summary>Every social error code has its status in <see cref="Problems.StatusFor"/>, not only at the call sites that happen to set one.</summary>
public sealed class ProblemStatusTests
{
    [Fact]
    public void Every_social_error_code_maps_to_a_client_or_upstream_status_never_500()
    {
        var codes = typeof(SocialErrors).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToArray();

        Assert.NotEmpty(codes);
        Assert.All(codes, code => Assert.NotEqual(500, Problems.StatusFor(code)));
    }

    [Theory]
    [InlineData(SocialErrors.InvalidNotification, 400)]
    [InlineData(SocialErrors.NotConfigured, 503)]
    public void The_deprovisioning_codes_have_the_status_their_endpoints_answer(string code, int status) =>
        Assert.Equal(status, Problems.StatusFor(code));
}
