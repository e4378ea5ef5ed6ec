using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>Timing is measured alone: hashes of tests running in parallel would otherwise land on one series or the other.</summary>
[CollectionDefinition(nameof(LoginTimingTests), DisableParallelization = true)]
public sealed class LoginTimingRunsAlone;

/// <summary>A refused login takes as long whether or not the account exists (one argon2id verification either way).</summary>
[Collection(nameof(LoginTimingTests))]
public sealed class LoginTimingTests : IClassFixture<UnthrottledGatehouseFixture>
{
    private const int Samples = 9;
    private readonly UnthrottledGatehouseFixture _fixture;

    public LoginTimingTests(UnthrottledGatehouseFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task Unknown_email_and_wrong_password_take_comparable_time()
    {
        using var client = _fixture.Factory.CreateApiClient();
        var member = _fixture.Member;

        // Warm both paths (the unknown-email path builds its dummy hash once).
        using (await LoginAsync(client, NewEmail("warm"), "whatever passphrase"))
        using (await LoginAsync(client, member.Email, "whatever passphrase"))
        {
        }

        // Other processes on the machine add noise that a real difference would not: a leak shows in both rounds.
        var first = await MeasureAsync(client, member);
        if (first.Ratio is >= 0.5 and <= 2.0)
        {
            return;
        }

        var second = await MeasureAsync(client, member);
        Assert.True(second.Ratio is >= 0.5 and <= 2.0, $"Median unknown-email login vs wrong-password login, twice: {first} and {second}. The timing tells whether an account exists.");
    }

    private static async Task<Measurement> MeasureAsync(HttpClient client, TestMember member)
    {
        // Alternate the two so that noise falls on both alike.
        var unknownTimes = new List<double>();
        var wrongTimes = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            unknownTimes.Add(await TimeFailedLoginAsync(client, NewEmail("nobody"), member.Password));
            wrongTimes.Add(await TimeFailedLoginAsync(client, member.Email, "not the right passphrase " + i));
        }

        var measurement = new Measurement(Median(unknownTimes), Median(wrongTimes));
        TestContext.Current.TestOutputHelper?.WriteLine($"{measurement}; unknown email: {Join(unknownTimes)} ms; wrong password: {Join(wrongTimes)} ms");
        return measurement;
    }

    private static async Task<double> TimeFailedLoginAsync(HttpClient client, string email, string password)
    {
        var watch = Stopwatch.StartNew();
        using var response = await LoginAsync(client, email, password);
        await response.Content.ReadAsByteArrayAsync(Ct);
        watch.Stop();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));

    private sealed record Measurement(double UnknownMs, double WrongMs)
    {
        public double Ratio => UnknownMs / WrongMs;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{UnknownMs:F1} ms vs {WrongMs:F1} ms (ratio {Ratio:F2})");
    }
}
