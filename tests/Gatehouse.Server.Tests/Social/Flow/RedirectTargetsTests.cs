using Gatehouse.Server.Endpoints.Social;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Social;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Tests.Social.Flow;

/// <summary>returnTo and redirectUri: only URLs on an allowed frontend origin pass, whatever the spelling trick.</summary>
public sealed class RedirectTargetsTests
{
    private static readonly RedirectTargets Targets = Create("https://app.example.test", "http://127.0.0.1:5173");

    [Theory]
    [InlineData("https://app.example.test/")]
    [InlineData("https://app.example.test")]
    [InlineData("https://app.example.test/done?x=1")]
    [InlineData("https://APP.example.test/done")]
    [InlineData("https://app.example.test?next=/a")]
    [InlineData("http://127.0.0.1:5173/callback")]
    public void Urls_on_an_allowed_origin_pass(string url) => Assert.True(Targets.IsAllowed(url), url);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/done")]
    [InlineData("//evil.example")]
    [InlineData("//evil.example/https://app.example.test/")]
    [InlineData("/\\evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("https:evil.example")]
    [InlineData("https:/evil.example")]
    [InlineData("https://evil.example")]
    [InlineData("https://evil.example/https://app.example.test/")]
    [InlineData("https://app.example.test.evil.example/")]
    [InlineData("https://app.example.testevil.example/")]
    [InlineData("https://app.example.test@evil.example/")]
    [InlineData("https://user:pass@app.example.test/")]
    [InlineData("https://app.example.test%2F@evil.example/")]
    [InlineData("https%3A%2F%2Fevil.example")]
    [InlineData("%2F%2Fevil.example")]
    [InlineData("https://app.example.test\\@evil.example/")]
    [InlineData("https://app.example.test/\\evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("JavaScript://app.example.test/%0aalert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("http://app.example.test/")]
    [InlineData("https://app.example.test:8443/")]
    [InlineData("https://app.example.test:443/")] // the same origin, spelled otherwise: refused, not guessed
    [InlineData("ftp://app.example.test/")]
    [InlineData("http://127.0.0.1:5174/callback")]
    [InlineData("http://localhost:5173/callback")]
    [InlineData(" https://app.example.test/")]
    [InlineData("https://app.example.test/ ")]
    [InlineData("https://app.example.test/\r\nSet-Cookie:x=y")]
    [InlineData("https://app.example.test/\tx")]
    [InlineData("https://app.example.test/#fragment")]
    [InlineData("https://аpp.example.test/")]
    public void Everything_else_is_refused(string? url) => Assert.False(Targets.IsAllowed(url), url);

    [Fact]
    public void A_very_long_url_is_refused() => Assert.False(Targets.IsAllowed("https://app.example.test/" + new string('a', 3000)));

    [Fact]
    public void The_default_is_the_first_origin_unless_a_valid_default_is_configured()
    {
        Assert.Equal("https://app.example.test/", Targets.Default);
        Assert.Equal("http://127.0.0.1:5173/home", Create(["https://app.example.test", "http://127.0.0.1:5173"], "http://127.0.0.1:5173/home").Default);
        Assert.Equal("https://app.example.test/", Create(["https://app.example.test"], "https://evil.example/").Default);
        Assert.Null(Create([], null).Default);
    }

    /// <summary>The check the start makes of Gatehouse:Social:DefaultReturnTo is this one, on the configured origins.</summary>
    [Fact]
    public void The_start_checks_the_configured_default_the_same_way()
    {
        var frontend = new FrontendOptions();
        frontend.Origins.Add("https://app.example.test");

        Assert.True(RedirectTargets.IsAllowed("https://app.example.test/home", frontend));
        Assert.False(RedirectTargets.IsAllowed("/home", frontend));
        Assert.False(RedirectTargets.IsAllowed("javascript:alert(1)", frontend));
        Assert.False(RedirectTargets.IsAllowed("https://evil.example/", frontend));
    }

    private static RedirectTargets Create(params string[] origins) => Create(origins, null);

    private static RedirectTargets Create(string[] origins, string? defaultReturnTo)
    {
        var frontend = new FrontendOptions();
        foreach (var origin in origins)
        {
            frontend.Origins.Add(origin);
        }

        return new RedirectTargets(new StaticMonitor<FrontendOptions>(frontend), new StaticMonitor<SocialFlowOptions>(new SocialFlowOptions { DefaultReturnTo = defaultReturnTo }));
    }

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
