using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Bench.Social;

/// <summary>
/// Social login against a running server, with <see cref="KakaoFake"/> as the provider, for bench/run.sh's
/// <c>social</c> part. A completion is the hand-off flow's second half, <c>POST /auth/login {provider, code, state}</c>:
/// the server takes the state from Redis, redeems the code at the fake, reads the user, finds or creates the member
/// in PostgreSQL and starts a refresh session in Redis. The (code, state) pairs are made beforehand (<c>POST
/// /auth/social/kakao/authorization</c>, then the fake's authorize URL, which answers 302 with both), so the
/// measured window holds completions only.
/// <list type="bullet">
/// <item><c>throughput</c>: a warm-up batch signs up new members; then a batch mixing new members and those
/// returning is replayed at full speed with bounded concurrency: completions per second, latency, and the CPU
/// each process spent per completion.</item>
/// <item><c>inflight</c>: the fake's token endpoint answers after a delay (1 s); a number of logins (500) is kept in
/// flight for some rounds, while a paced loop of refresh rotations (<c>POST /auth/token</c>, the refresh token in
/// the body) measures its latency; the same loop, run first with no logins, gives the idle value.</item>
/// </list>
/// </summary>
internal static class SocialBench
{
    private const string Provider = "kakao";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    public const string Usage =
        "dotnet Gatehouse.Bench.dll social --server URL --fake-port N --frontend URL [--phase throughput|inflight] [--count 30000] [--warmup-count 10000]\n"
        + "    [--concurrency 64] [--returning-share 0.5] [--inflight 500] [--rounds 10] [--delay-ms 1000] [--refresh-rate 500] [--refresh-warmup 5]\n"
        + "    [--refresh-duration 10] [--refresh-workers 32] [--cpu name=pid,name=pid+] [--clk-tck 100] [--results file.tsv]";

    private sealed record Options(
        Uri Server, int FakePort, string Frontend, string Phase, int Count, int WarmupCount, int Concurrency, double ReturningShare,
        int InFlight, int Rounds, int DelayMs, int RefreshRate, int RefreshWarmup, int RefreshDuration, int RefreshWorkers, string? Cpu, double ClockTicks, string? Results);

    /// <summary>One prepared completion: the pair the provider sent back, for which user, and whether that user is new.</summary>
    private sealed record Pair(string Code, string State, long User, bool IsNew);

    /// <summary>What one completion (or refresh) did: its times in Stopwatch ticks, its status, and a refresh token if one came back.</summary>
    private record struct Outcome(long Start, long End, int Status, bool Ok, string? RefreshToken);

    private sealed class Failures
    {
        private long _count;
        private string? _first;
        private readonly Dictionary<int, int> _byStatus = [];

        public long Count => Interlocked.Read(ref _count);

        public string First => _first ?? "";

        public string ByStatus
        {
            get
            {
                lock (_byStatus)
                {
                    return _byStatus.Count == 0 ? "-" : string.Join(',', _byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"));
                }
            }
        }

        public void Add(int status, string what)
        {
            Interlocked.Increment(ref _count);
            Interlocked.CompareExchange(ref _first, $"{status} {Clip(what)}", null);
            lock (_byStatus)
            {
                _byStatus[status] = _byStatus.GetValueOrDefault(status) + 1;
            }
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is [] or ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return args is [] ? 1 : 0;
        }

        var o = Parse(args);
        var results = new List<(string Key, string Value)>();
        void Put(string key, double value, string label, string unit = "", string format = "N0")
        {
            results.Add((key, value.ToString("0.###", Inv)));
            Console.WriteLine($"  {label,-64} {value.ToString(format, Inv),12} {unit}");
        }

        void PutText(string key, string value, string label)
        {
            results.Add((key, value));
            Console.WriteLine($"  {label,-64} {value}");
        }

        await using var fake = await KakaoFake.StartAsync(o.FakePort);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        { Timeout = TimeSpan.FromSeconds(60) };
        Console.WriteLine($"Social login bench ({o.Phase}): server {o.Server}, Kakao fake on {fake.Origin}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        // Kakao ids are numbers; a random base keeps the new members of this run apart from any earlier ones.
        long nextUser = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000);
        var ok = o.Phase switch
        {
            "throughput" => await ThroughputAsync(),
            "inflight" => await InFlightAsync(),
            _ => throw new ArgumentException($"--phase {o.Phase}: throughput or inflight"),
        };

        PutText("fake_refusals", fake.Refusals.ToString(Inv), "provider fake: refused requests (must be 0)");
        if (fake.Refusals > 0)
        {
            PutText("fake_first_refusal", fake.FirstRefusal ?? "", "provider fake: first refusal");
            ok = false;
        }

        if (o.Results is { } path)
        {
            await File.WriteAllLinesAsync(path, results.Select(r => $"{r.Key}\t{r.Value.Replace('\t', ' ').Replace('\n', ' ')}"));
        }

        return ok ? 0 : 2;

        // The server's own view, from its /metrics: how long it took over each refresh (ASP.NET Core's request-duration
        // histogram for /auth/token, whatever the client's side added), and its GC pauses so far.
        async Task<ServerView> ServerViewAsync()
        {
            var text = await http.GetStringAsync(new Uri(o.Server, "/metrics"));
            var buckets = new SortedDictionary<double, long>();
            double pause = 0;
            long collections = 0;
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("http_server_request_duration_seconds_bucket{", StringComparison.Ordinal) && line.Contains("http_route=\"/auth/token\"", StringComparison.Ordinal))
                {
                    var le = line.IndexOf("le=\"", StringComparison.Ordinal) + 4;
                    var bound = line[le..line.IndexOf('"', le)] is var b && b == "+Inf" ? double.PositiveInfinity : double.Parse(b, Inv);
                    buckets[bound] = buckets.GetValueOrDefault(bound) + long.Parse(MetricValue(line), Inv);
                }
                else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal))
                {
                    pause = double.Parse(MetricValue(line), Inv);
                }
                else if (line.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal))
                {
                    collections += long.Parse(MetricValue(line), Inv);
                }
            }

            return new ServerView(buckets, pause, collections);
        }

        async Task<bool> ThroughputAsync()
        {
            var (members, _) = await WarmUpAsync(o.WarmupCount);
            if (members is null)
            {
                return false;
            }

            var users = Mix(o.Count, members);
            Console.WriteLine($"preparing {o.Count:N0} (code, state) pairs");
            var prepared = Stopwatch.StartNew();
            var pairs = await PrepareAsync(users);
            var authorizeRate = pairs.Length / prepared.Elapsed.TotalSeconds;
            Console.WriteLine($"replaying {o.Count:N0} completions, {o.Concurrency} at a time");
            var meter = new CpuMeter(o.Cpu, o.ClockTicks);
            await Task.Delay(500);
            var before = meter.Snapshot();
            var failures = new Failures();
            var outcomes = await ReplayAsync(pairs, o.Concurrency, failures);
            var after = meter.Snapshot();

            var first = outcomes.Min(x => x.Start);
            var last = outcomes.Max(x => x.End);
            var seconds = (last - first) / (double)Stopwatch.Frequency;
            var latencies = outcomes.Select(x => Ms(x.End - x.Start)).Order().ToArray();
            var perSecond = PerSecond(outcomes.Select(x => x.End), first, last);
            var newCount = pairs.Count(p => p.IsNew);
            Console.WriteLine("results");
            Put("social_rps", outcomes.Length / seconds, "completions per second (whole batch)", "/s");
            Put("social_completions", outcomes.Length, "completions");
            Put("social_new", newCount, "  of which new members (201)");
            Put("social_returning", outcomes.Length - newCount, "  of which returning members (200)");
            Put("social_seconds", seconds, "seconds", "s", "N2");
            if (perSecond.Length > 0)
            {
                Put("social_sec_min", perSecond.Min(), "completions in a full second: min", "/s");
                Put("social_sec_median", perSecond.Order().ElementAt(perSecond.Length / 2), "completions in a full second: median", "/s");
                Put("social_sec_max", perSecond.Max(), "completions in a full second: max", "/s");
                PutText("social_sec_series", string.Join(' ', perSecond), "completions per full second");
            }

            Put("social_p50_ms", Percentile(latencies, 0.50), "latency p50", "ms", "N2");
            Put("social_p99_ms", Percentile(latencies, 0.99), "latency p99", "ms", "N2");
            Put("social_authorize_rps", authorizeRate, "preparation: authorization + fake authorize per second", "/s");
            Put("social_failures", failures.Count, "unexpected answers (must be 0)");
            if (failures.Count > 0)
            {
                PutText("social_failure_statuses", failures.ByStatus, "  status:count");
                PutText("social_first_failure", failures.First, "  first");
            }

            foreach (var name in meter.Names)
            {
                Put($"social_cpu_{name}_us", (after[name] - before[name]) * 1000 / outcomes.Length, $"CPU per completion: {name}", "µs");
            }

            Put("social_cpu_total_us", meter.Names.Sum(n => after[n] - before[n]) * 1000 / outcomes.Length, "CPU per completion: all of the above", "µs");
            Put("social_cores_total", meter.Names.Sum(n => after[n] - before[n]) / 1000 / seconds, "cores these processes used during the batch (the rest: anything else running)", "", "N2");
            Put("social_fake_outstanding", fake.OutstandingCodes, "provider fake: codes issued and never redeemed");
            return failures.Count == 0;
        }

        async Task<bool> InFlightAsync()
        {
            // Warm-up with an instant provider: the JIT tiers up, and refresh tokens from it are the pool of the refresh loop.
            var tokensNeeded = Math.Max(o.RefreshWorkers * 4, 128);
            var (members, tokens) = await WarmUpAsync(Math.Max(o.WarmupCount, 2 * tokensNeeded));
            if (members is null)
            {
                return false;
            }

            var pool = new System.Collections.Concurrent.ConcurrentQueue<string>(tokens.Take(tokensNeeded));
            Console.WriteLine($"refresh loop, idle: {o.RefreshRate}/s paced, {o.RefreshWorkers} workers, {o.RefreshWarmup} s warm-up + {o.RefreshDuration} s");
            var refreshFailures = new Failures();
            await RefreshLoopAsync(pool, TimeSpan.FromSeconds(o.RefreshWarmup), refreshFailures, CancellationToken.None);
            var meter = new CpuMeter(o.Cpu, o.ClockTicks);
            var idleCpu = meter.Snapshot();
            var idleFrom = Stopwatch.GetTimestamp();
            var idleView = await ServerViewAsync();
            var idle = await RefreshLoopAsync(pool, TimeSpan.FromSeconds(o.RefreshDuration), refreshFailures, CancellationToken.None);
            var idleView2 = await ServerViewAsync();
            var idleUsage = CoresUsed(meter, idleCpu, idleFrom);

            var logins = o.InFlight * o.Rounds;
            var users = Mix(logins, members);

            Console.WriteLine($"preparing {logins:N0} (code, state) pairs");
            var pairs = await PrepareAsync(users);

            fake.TokenDelay = TimeSpan.FromMilliseconds(o.DelayMs);
            Console.WriteLine($"{o.InFlight} logins in flight (token endpoint answers after {o.DelayMs} ms), {o.Rounds} rounds each, with the refresh loop at {o.RefreshRate}/s");
            using var stopRefresh = new CancellationTokenSource();
            var loaded = RefreshLoopAsync(pool, TimeSpan.FromHours(1), refreshFailures, stopRefresh.Token);
            var loadedCpu = meter.Snapshot();
            var loadedView = await ServerViewAsync();
            var loginFailures = new Failures();
            var outcomes = new Outcome[logins];
            var inFlight = 0;
            var peak = 0;
            long allStarted = 0;
            var firstDone = long.MaxValue;
            var start = Stopwatch.GetTimestamp();
            var workers = Enumerable.Range(0, o.InFlight).Select(w => Task.Run(async () =>
            {
                // Starts spread over 80 % of the provider's delay: all are in flight before the first comes back, and
                // they come back spread out rather than as one burst.
                await DelayUntil(start + (long)(w * 0.8 * o.DelayMs / o.InFlight / 1000 * Stopwatch.Frequency));
                for (var round = 0; round < o.Rounds; round++)
                {
                    var index = (round * o.InFlight) + w;
                    InterlockedMax(ref peak, Interlocked.Increment(ref inFlight));
                    if (round == 0)
                    {
                        InterlockedMax(ref allStarted, Stopwatch.GetTimestamp());
                    }

                    outcomes[index] = await CompleteAsync(pairs[index], loginFailures);
                    Interlocked.Decrement(ref inFlight);
                }

                InterlockedMin(ref firstDone, Stopwatch.GetTimestamp());
            })).ToArray();
            await Task.WhenAll(workers);
            var end = Stopwatch.GetTimestamp();
            var loadedView2 = await ServerViewAsync();
            var loadedUsage = CoresUsed(meter, loadedCpu, start);
            await stopRefresh.CancelAsync();
            var refreshLoaded = await loaded;
            fake.TokenDelay = TimeSpan.Zero;

            // The refresh latency while logins were in flight: from the first login sent to the last one answered. (Every
            // one of them was in flight between the moment the last of the first round left and the moment the first
            // worker finished its last round.)
            var inWindow = refreshLoaded.Where(x => x.Start >= start && x.Start <= end).Select(x => Ms(x.End - x.Start)).Order().ToArray();
            var windowStart = allStarted;
            var windowEnd = firstDone == long.MaxValue ? end : firstDone;
            var idleLatencies = idle.Select(x => Ms(x.End - x.Start)).Order().ToArray();
            var completion = outcomes.Select(x => Ms(x.End - x.Start)).Order().ToArray();
            var succeeded = outcomes.Count(x => x.Ok);

            Console.WriteLine("results");
            Put("inflight_logins", logins, "logins");
            Put("inflight_ok", succeeded, "  succeeded (200/201 with a token response)");
            Put("inflight_failures", loginFailures.Count, "  failed (must be 0)");
            if (loginFailures.Count > 0)
            {
                PutText("inflight_failure_statuses", loginFailures.ByStatus, "  status:count");
                PutText("inflight_first_failure", loginFailures.First, "  first");
            }

            Put("inflight_peak", peak, "logins in flight at once (peak)");
            Put("inflight_window_s", Math.Max(0, Ms(windowEnd - windowStart) / 1000), "seconds with every login in flight", "s", "N2");
            Put("inflight_seconds", Ms(end - start) / 1000, "seconds for all the logins", "s", "N2");
            Put("inflight_rate", logins / (Ms(end - start) / 1000), "logins completed per second", "/s");
            Put("inflight_min_ms", completion[0], "completion time: min", "ms", "N0");
            Put("inflight_p50_ms", Percentile(completion, 0.50), "completion time: p50", "ms", "N0");
            Put("inflight_p90_ms", Percentile(completion, 0.90), "completion time: p90", "ms", "N0");
            Put("inflight_p99_ms", Percentile(completion, 0.99), "completion time: p99", "ms", "N0");
            Put("inflight_max_ms", completion[^1], "completion time: max", "ms", "N0");
            Put("inflight_token_calls", fake.TokenCalls, "provider fake: token endpoint calls (all phases)");
            Put("refresh_rate", o.RefreshRate, "refresh loop: paced rate", "/s");
            Put("refresh_idle_count", idleLatencies.Length, "refresh idle: rotations measured");
            Put("refresh_idle_p50_ms", Percentile(idleLatencies, 0.50), "refresh idle: p50", "ms", "N2");
            Put("refresh_idle_p99_ms", Percentile(idleLatencies, 0.99), "refresh idle: p99", "ms", "N2");
            Put("refresh_loaded_count", inWindow.Length, "refresh with the logins in flight: rotations measured");
            Put("refresh_loaded_p50_ms", Percentile(inWindow, 0.50), "refresh with the logins in flight: p50", "ms", "N2");
            Put("refresh_loaded_p99_ms", Percentile(inWindow, 0.99), "refresh with the logins in flight: p99", "ms", "N2");
            Put("refresh_ratio", Percentile(inWindow, 0.99) / Percentile(idleLatencies, 0.99), "refresh p99 loaded / idle", "×", "N2");
            Put("refresh_failures", refreshFailures.Count, "refresh failures, both runs (must be 0)");
            Put("refresh_server_idle_5ms", idleView2.ShareWithin(idleView, 0.005), "refresh idle: answered by the server within 5 ms", "%", "N1");
            Put("refresh_server_loaded_5ms", loadedView2.ShareWithin(loadedView, 0.005), "refresh with the logins in flight: answered by the server within 5 ms", "%", "N1");
            Put("refresh_server_idle_25ms", idleView2.ShareWithin(idleView, 0.025), "refresh idle: answered by the server within 25 ms", "%", "N1");
            Put("refresh_server_loaded_25ms", loadedView2.ShareWithin(loadedView, 0.025), "refresh with the logins in flight: answered by the server within 25 ms", "%", "N1");
            Put("gc_idle_pause_ms", (idleView2.GcPauseSeconds - idleView.GcPauseSeconds) * 1000, "server GC, idle refresh run: pause time", "ms", "N0");
            Put("gc_idle_collections", idleView2.GcCollections - idleView.GcCollections, "server GC, idle refresh run: collections");
            Put("gc_loaded_pause_ms", (loadedView2.GcPauseSeconds - loadedView.GcPauseSeconds) * 1000, "server GC, with the logins in flight: pause time", "ms", "N0");
            Put("gc_loaded_collections", loadedView2.GcCollections - loadedView.GcCollections, "server GC, with the logins in flight: collections");
            foreach (var (name, cores) in idleUsage)
            {
                Put($"idle_cores_{name}", cores, $"cores used, idle refresh run: {name}", "", "N2");
            }

            foreach (var (name, cores) in loadedUsage)
            {
                Put($"loaded_cores_{name}", cores, $"cores used, with the logins in flight: {name}", "", "N2");
            }
            if (refreshFailures.Count > 0)
            {
                PutText("refresh_first_failure", refreshFailures.First, "  first");
            }

            return loginFailures.Count == 0 && refreshFailures.Count == 0 && succeeded == logins;
        }

        // Unmeasured completions with an instant provider, so the JIT has tiered up the paths: first half new members only,
        // then half of them mixed like a measured batch. Returns the members made (the returning members of what
        // follows) and the refresh tokens of the answers; null members when any answer was unexpected.
        async Task<(long[]? Members, List<string> Tokens)> WarmUpAsync(int count)
        {
            Console.WriteLine($"warm-up: {count:N0} completions (the first {count / 2:N0} all new members, then mixed)");
            var first = Enumerable.Range(0, count / 2).Select(_ => nextUser++).ToArray();
            var warmFailures = new Failures();
            var outcomes = await ReplayAsync(await PrepareAsync(first.Select(u => (u, true)).ToArray()), o.Concurrency, warmFailures);
            var mixed = Mix(count - first.Length, first);
            var more = await ReplayAsync(await PrepareAsync(mixed), o.Concurrency, warmFailures);
            if (warmFailures.Count > 0)
            {
                PutText("warmup_failures", $"{warmFailures.Count} ({warmFailures.ByStatus}) first: {warmFailures.First}", "warm-up: unexpected answers");
                return (null, []);
            }

            var members = first.Concat(mixed.Where(u => u.IsNew).Select(u => u.User)).ToArray();
            return (members, outcomes.Concat(more).Select(x => x.RefreshToken).OfType<string>().ToList());
        }

        // `count` users: a share o.ReturningShare of returning members (drawn from `members`), the others new.
        (long User, bool IsNew)[] Mix(int count, long[] members)
        {
            var users = new (long User, bool IsNew)[count];
            for (var i = 0; i < users.Length; i++)
            {
                users[i] = Random.Shared.NextDouble() < o.ReturningShare ? (members[Random.Shared.Next(members.Length)], false) : (nextUser++, true);
            }

            return users;
        }

        // (code, state) pairs for these users, 32 at a time: the authorization request, then the fake's authorize URL.
        async Task<Pair[]> PrepareAsync((long User, bool IsNew)[] users)
        {
            var pairs = new Pair[users.Length];
            var next = -1;
            var redirectUri = o.Frontend.TrimEnd('/') + "/social/callback";
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { redirectUri }));
            await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < users.Length)
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = JsonType;
                    using var started = await http.PostAsync(new Uri(o.Server, $"/auth/social/{Provider}/authorization"), content);
                    var text = await started.Content.ReadAsStringAsync();
                    if (started.StatusCode != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"POST /auth/social/{Provider}/authorization answered {(int)started.StatusCode}: {Clip(text)}");
                    }

                    using var json = JsonDocument.Parse(text);
                    var url = json.RootElement.GetProperty("authorizationUrl").GetString()!;
                    var state = json.RootElement.GetProperty("state").GetString()!;
                    using var redirect = await http.GetAsync(new Uri($"{url}&bench_user={users[i].User.ToString(Inv)}"));
                    if (redirect.StatusCode != HttpStatusCode.Found || redirect.Headers.Location is not { } location)
                    {
                        throw new InvalidOperationException($"the fake's authorize answered {(int)redirect.StatusCode}: {Clip(await redirect.Content.ReadAsStringAsync())}");
                    }

                    var query = System.Web.HttpUtility.ParseQueryString(location.Query);
                    if (query["state"] != state || query["code"] is not { Length: > 0 } code || !location.AbsoluteUri.StartsWith(redirectUri + "?", StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"the fake's redirect {location} does not carry the state and a code back to {redirectUri}");
                    }

                    pairs[i] = new Pair(code, state, users[i].User, users[i].IsNew);
                }
            })));
            return pairs;
        }

        // Every pair once, `concurrency` at a time, as fast as the server answers.
        async Task<Outcome[]> ReplayAsync(Pair[] pairs, int concurrency, Failures failures)
        {
            var outcomes = new Outcome[pairs.Length];
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < pairs.Length)
                {
                    outcomes[i] = await CompleteAsync(pairs[i], failures);
                }
            })));
            return outcomes;
        }

        // POST /auth/login {provider, code, state}: a new member is 201, a returning one 200, each with a refresh token in the body.
        async Task<Outcome> CompleteAsync(Pair pair, Failures failures)
        {
            var body = Encoding.UTF8.GetBytes($"{{\"provider\":\"{Provider}\",\"code\":\"{pair.Code}\",\"state\":\"{pair.State}\",\"refreshTokenDelivery\":\"body\"}}");
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = JsonType;
                using var response = await http.PostAsync(new Uri(o.Server, "/auth/login"), content);
                var text = await response.Content.ReadAsStringAsync();
                var end = Stopwatch.GetTimestamp();
                var status = (int)response.StatusCode;
                var refreshToken = RefreshTokenOf(text);
                var ok = status == (pair.IsNew ? 201 : 200) && refreshToken is not null && text.Contains("\"accessToken\"", StringComparison.Ordinal);
                if (!ok)
                {
                    failures.Add(status, $"{(pair.IsNew ? "new" : "returning")} member: {text}");
                }

                return new Outcome(start, end, status, ok, refreshToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                failures.Add(0, e.Message);
                return new Outcome(start, Stopwatch.GetTimestamp(), 0, false, null);
            }
        }

        // POST /auth/token {refreshToken} at o.RefreshRate per second (each request has its due time; a late worker
        // sends at once), taking tokens from the pool and putting each successor back. Runs for `duration` or until stopped.
        async Task<List<Outcome>> RefreshLoopAsync(System.Collections.Concurrent.ConcurrentQueue<string> pool, TimeSpan duration, Failures failures, CancellationToken stop)
        {
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var interval = Stopwatch.Frequency / (double)o.RefreshRate;
            long next = -1;
            var perWorker = await Task.WhenAll(Enumerable.Range(0, o.RefreshWorkers).Select(_ => Task.Run(async () =>
            {
                var mine = new List<Outcome>();
                while (!stop.IsCancellationRequested)
                {
                    var due = start + (long)(Interlocked.Increment(ref next) * interval);
                    if (due >= end)
                    {
                        break;
                    }

                    await DelayUntil(due);
                    if (!pool.TryDequeue(out var token))
                    {
                        failures.Add(0, "the refresh-token pool ran dry");
                        break;
                    }

                    var body = Encoding.UTF8.GetBytes($"{{\"refreshToken\":\"{token}\"}}");
                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        using var content = new ByteArrayContent(body);
                        content.Headers.ContentType = JsonType;
                        using var response = await http.PostAsync(new Uri(o.Server, "/auth/token"), content);
                        var text = await response.Content.ReadAsStringAsync();
                        var received = Stopwatch.GetTimestamp();
                        var successor = RefreshTokenOf(text);
                        if (response.StatusCode != HttpStatusCode.OK || successor is null)
                        {
                            failures.Add((int)response.StatusCode, "refresh: " + text);
                            continue;
                        }

                        pool.Enqueue(successor);
                        mine.Add(new Outcome(sent, received, 200, true, null));
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        failures.Add(0, "refresh: " + e.Message);
                    }
                }

                return mine;
            })));
            return perWorker.SelectMany(x => x).ToList();
        }
    }

    /// <summary>Cores each measured process used since <paramref name="from"/> (CPU time over wall-clock time), and their sum ("total").</summary>
    private static List<(string Name, double Cores)> CoresUsed(CpuMeter meter, Dictionary<string, double> before, long from)
    {
        var after = meter.Snapshot();
        var wallMs = Ms(Stopwatch.GetTimestamp() - from);
        var usage = meter.Names.Select(n => (n, (after[n] - before[n]) / wallMs)).ToList();
        usage.Add(("total", usage.Sum(u => u.Item2)));
        return usage;
    }

    private static string? RefreshTokenOf(string json)
    {
        const string Key = "\"refreshToken\":\"";
        var at = json.IndexOf(Key, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var from = at + Key.Length;
        var to = json.IndexOf('"', from);
        return to > from ? json[from..to] : null;
    }

    private static string MetricValue(string line) => line[(line.LastIndexOf('}') is var brace && brace >= 0 ? brace + 1 : line.IndexOf(' '))..].Trim().Split(' ')[0];

    /// <summary>A scrape of the server's /metrics: the /auth/token duration buckets (upper bound in seconds → count), GC pause seconds, GC collections.</summary>
    private sealed record ServerView(SortedDictionary<double, long> Buckets, double GcPauseSeconds, long GcCollections)
    {
        /// <summary>The share (%) of the refreshes between <paramref name="before"/> and this scrape that the server answered within <paramref name="seconds"/>.</summary>
        public double ShareWithin(ServerView before, double seconds)
        {
            var all = Buckets.GetValueOrDefault(double.PositiveInfinity) - before.Buckets.GetValueOrDefault(double.PositiveInfinity);
            var within = Buckets.GetValueOrDefault(seconds) - before.Buckets.GetValueOrDefault(seconds);
            return all > 0 ? 100.0 * within / all : double.NaN;
        }
    }

    private static async Task DelayUntil(long timestamp)
    {
        var wait = timestamp - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
        }
    }

    /// <summary>Completions in each full second of the window (the partial last second left out).</summary>
    private static int[] PerSecond(IEnumerable<long> ends, long first, long last)
    {
        var full = (int)((last - first) / Stopwatch.Frequency);
        var counts = new int[full];
        foreach (var end in ends)
        {
            var second = (int)((end - first) / Stopwatch.Frequency);
            if (second < full)
            {
                counts[second]++;
            }
        }

        return counts;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static void InterlockedMin(ref long target, long value)
    {
        long current;
        while (value < (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static string Clip(string text)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 300 ? flat : flat[..300];
    }

    private static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]}: expected --name value. {Usage}");
            }

            values[args[i][2..]] = args[i + 1];
        }

        string Required(string name) => values.Remove(name, out var v) ? v : throw new ArgumentException($"--{name} is required. {Usage}");
        string Text(string name, string fallback) => values.Remove(name, out var v) ? v : fallback;
        int Int(string name, int fallback) => values.Remove(name, out var v) ? int.Parse(v, Inv) : fallback;
        double Double(string name, double fallback) => values.Remove(name, out var v) ? double.Parse(v, Inv) : fallback;

        var options = new Options(
            new Uri(Required("server")), int.Parse(Required("fake-port"), Inv), Required("frontend"), Text("phase", "throughput"),
            Int("count", 30_000), Int("warmup-count", 10_000), Int("concurrency", 64), Double("returning-share", 0.5),
            Int("inflight", 500), Int("rounds", 10), Int("delay-ms", 1000), Int("refresh-rate", 500), Int("refresh-warmup", 5), Int("refresh-duration", 10),
            Int("refresh-workers", 32), values.Remove("cpu", out var cpu) ? cpu : null, Double("clk-tck", 100),
            values.Remove("results", out var results) ? results : null);
        return values.Count == 0 ? options : throw new ArgumentException($"Unknown option --{values.Keys.First()}. {Usage}");
    }
}
