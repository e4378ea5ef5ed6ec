using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gatehouse.Bench;
using Gatehouse.Core.Passwords;

// In-process figures for bench/run.sh: token validation (Gatehouse.AspNetCore), argon2id, ES256 issuing.
//   dotnet Gatehouse.Bench.dll [--duration 5] [--warmup 1] [--tokens 200000] [--only validation,argon2,sign] [--results file.tsv]
// And, against a running server, social login with a Kakao fake on loopback (Social/SocialBench.cs):
//   dotnet Gatehouse.Bench.dll social --server URL --fake-port N --frontend URL [--phase throughput|inflight] ...
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine("dotnet Gatehouse.Bench.dll [--duration 5] [--warmup 1] [--tokens 200000] [--only validation,argon2,sign] [--results file.tsv]");
    Console.WriteLine(Gatehouse.Bench.Social.SocialBench.Usage);
    return 0;
}

if (args is ["social", .. var socialArgs])
{
    return await Gatehouse.Bench.Social.SocialBench.RunAsync(socialArgs);
}

var settings = Settings.Parse(args);
var rows = new List<(string Key, string Value, string Display)>();
var inv = CultureInfo.InvariantCulture;

void Add(string key, string label, double value, string unit, string format = "N0")
{
    rows.Add((key, value.ToString("0.###", inv), value.ToString(format, inv) + " " + unit));
    Console.WriteLine($"  {label,-52} {value.ToString(format, inv),14} {unit}");
}

void AddRate(string key, string label, Rate rate)
{
    Add(key, label, rate.PerSecond, "/s");
    Console.WriteLine($"  {"",-52} {"",14}    (GC paused the process {rate.GcPausePercent:0.0} % of the window)");
    if (rate.RanOut)
    {
        Console.WriteLine($"  (ran out of distinct tokens after {rate.Operations:N0}; the rate is over the {rate.Window.TotalSeconds:0.0} s before that)");
    }
}

Console.WriteLine($"Gatehouse.Bench: {Environment.ProcessorCount} cores, {settings.Warmup.TotalSeconds:0.#} s warm-up + {settings.Duration.TotalSeconds:0.#} s per figure, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
using var issuer = await BenchIssuer.CreateAsync();

if (settings.Runs("sign"))
{
    Console.WriteLine("ES256 signing");
    var issue = SigningBench.Issue(issuer, settings.Warmup, settings.Duration);
    Add("sign_issue_us", "AccessTokenIssuer.Issue, 1 thread (µs/token)", issue.MicrosecondsPerOperation, "µs", "N1");
    var sign = SigningBench.RawSign(settings.Warmup, settings.ShortDuration);
    Add("sign_raw_us", "  bare P-256 SignData, 1 thread (µs)", sign.MicrosecondsPerOperation, "µs", "N1");
}

if (settings.Runs("validation"))
{
    Console.WriteLine("GatehouseTokenValidator.ValidateAsync");
    var minting = Stopwatch.StartNew();
    var tokens = issuer.MintMany(settings.Tokens);
    Console.WriteLine($"  (minted {tokens.Length:N0} distinct tokens in {minting.Elapsed.TotalSeconds:0.0} s)");

    await ValidationBench.WarmUpAsync(issuer, tokens, TimeSpan.FromSeconds(3));
    var cold1 = await ValidationBench.ColdAsync(issuer, tokens, 1, settings.Warmup, settings.Duration);
    AddRate("validate_cold_1t", "cold (distinct tokens), 1 thread", cold1);
    var cold2 = await ValidationBench.ColdAsync(issuer, tokens, 2, settings.Warmup, settings.Duration);
    AddRate("validate_cold_2t", "cold (distinct tokens), 2 threads", cold2);
    Add("validate_cold_per_core", "cold, per core (2 threads / 2)", cold2.PerThread, "/s");
    var uncached = await ValidationBench.ColdAsync(issuer, tokens, 1, settings.Warmup, settings.Duration, cacheSize: 0);
    AddRate("validate_cold_nocache_1t", "  cold with the validated-token cache off, 1 thread", uncached);
    tokens = [];
    GC.Collect();

    var verify = SigningBench.RawVerify(1, settings.Warmup, settings.ShortDuration);
    Add("verify_raw_1t", "  bare P-256 VerifyData, 1 thread", verify.PerSecond, "/s");
    var verify2 = SigningBench.RawVerify(2, settings.Warmup, settings.ShortDuration);
    Add("verify_raw_per_core", "  bare P-256 VerifyData, per core (2 threads / 2)", verify2.PerThread, "/s");

    var cached1 = await ValidationBench.CachedAsync(issuer, 1, settings.Warmup, settings.Duration);
    AddRate("validate_cached_1t", "cached (16 tokens), 1 thread", cached1);
    var cached2 = await ValidationBench.CachedAsync(issuer, 2, settings.Warmup, settings.Duration);
    AddRate("validate_cached_2t", "cached (16 tokens), 2 threads", cached2);
    Add("validate_cached_per_core", "cached, per core (2 threads / 2)", cached2.PerThread, "/s");
}

if (settings.Runs("argon2"))
{
    var options = new PasswordOptions();
    var (hasher, source) = PasswordBench.CreateHasher(options);
    Console.WriteLine($"argon2id m={options.MemoryKiB} KiB, t={options.Iterations}, p=1: {source}");
    rows.Add(("argon2_source", source.StartsWith("Gatehouse", StringComparison.Ordinal) ? "gatehouse" : "geralt", source));
    var one = await PasswordBench.VerifyAsync(hasher, 1, settings.Warmup, settings.Duration);
    Add("argon2_1t", "argon2id verify, 1 thread", one.PerSecond, "/s", "N1");
    var two = await PasswordBench.VerifyAsync(hasher, 2, settings.Warmup, settings.Duration);
    Add("argon2_2t", "argon2id verify, 2 threads", two.PerSecond, "/s", "N1");
}

if (settings.ResultsPath is { } path)
{
    var tsv = new StringBuilder();
    foreach (var (key, value, display) in rows)
    {
        tsv.Append(key).Append('\t').Append(value).Append('\t').AppendLine(display);
    }

    await File.WriteAllTextAsync(path, tsv.ToString());
}

return 0;

/// <summary>Command-line settings.</summary>
internal sealed record Settings(TimeSpan Duration, TimeSpan Warmup, int Tokens, IReadOnlySet<string>? Only, string? ResultsPath)
{
    /// <summary>For the reference figures (bare P-256): they vary little, so a shorter run is enough.</summary>
    public TimeSpan ShortDuration => Duration < TimeSpan.FromSeconds(2) ? Duration : TimeSpan.FromSeconds(2);

    public bool Runs(string part) => Only is null || Only.Contains(part);

    public static Settings Parse(string[] args)
    {
        var duration = 5.0;
        var warmup = 1.0;
        var tokens = 200_000;
        HashSet<string>? only = null;
        string? results = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--duration": duration = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--tokens": tokens = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--only": only = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                case "--results": results = value; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}.");
            }

            i++;
        }

        return new Settings(TimeSpan.FromSeconds(duration), TimeSpan.FromSeconds(warmup), tokens, only, results);
    }
}
