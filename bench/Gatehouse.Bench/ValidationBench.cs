using Gatehouse.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Bench;

/// <summary>
/// The resource-server library's <see cref="GatehouseTokenValidator"/>, taken from DI as a product API gets it,
/// with its keys fetched from <see cref="BenchIssuer"/>'s in-memory discovery endpoint.
/// </summary>
internal static class ValidationBench
{
    /// <summary>Every token distinct: each validation is a full ES256 verify and claims check, then a cache insert.</summary>
    /// <param name="cacheSize">The validated-token cache's capacity; 0 turns it off, which shows what the cache costs a miss.</param>
    public static async Task<Rate> ColdAsync(BenchIssuer issuer, string[] tokens, int threads, TimeSpan warmup, TimeSpan duration, int? cacheSize = null)
    {
        using var scope = await ValidatorScope.CreateAsync(issuer, cacheSize);
        var validator = scope.Validator;
        return Measure.Run("validate cold", threads, warmup, duration, (index, count) =>
        {
            var next = index;
            return () =>
            {
                if (next >= tokens.Length)
                {
                    return false;
                }

                Check(validator.ValidateAsync(tokens[next]));
                next += count;
                return true;
            };
        });
    }

    /// <summary>
    /// Runs both paths on both threads, results discarded, so the JIT has tiered up (with PGO) the code every
    /// measured phase runs; otherwise the first phase pays for it.
    /// </summary>
    public static async Task WarmUpAsync(BenchIssuer issuer, string[] tokens, TimeSpan duration)
    {
        await ColdAsync(issuer, tokens, 2, TimeSpan.Zero, duration);
        await CachedAsync(issuer, 2, TimeSpan.Zero, duration / 2);
    }

    /// <summary>The same few tokens again and again: every validation after the first is a cache hit.</summary>
    public static async Task<Rate> CachedAsync(BenchIssuer issuer, int threads, TimeSpan warmup, TimeSpan duration)
    {
        using var scope = await ValidatorScope.CreateAsync(issuer);
        var validator = scope.Validator;
        var tokens = issuer.MintMany(16);
        foreach (var token in tokens)
        {
            Check(await validator.ValidateAsync(token));
        }

        return Measure.Run("validate cached", threads, warmup, duration, (index, _) =>
        {
            var next = index;
            return () =>
            {
                Check(validator.ValidateAsync(tokens[next++ & 15]));
                return true;
            };
        });
    }

    private static void Check(ValueTask<TokenValidationResult> pending)
    {
        var result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        Check(result);
    }

    private static void Check(TokenValidationResult result)
    {
        if (!result.IsValid)
        {
            throw new InvalidOperationException("A token the bench minted was refused; the figures would be meaningless.", result.Exception);
        }
    }

    /// <summary>A fresh validator (empty cache) per phase, so phases do not see each other's tokens.</summary>
    private sealed class ValidatorScope : IDisposable
    {
        private readonly ServiceProvider _services;
        private readonly HttpMessageHandler _handler;

        private ValidatorScope(ServiceProvider services, HttpMessageHandler handler)
        {
            _services = services;
            _handler = handler;
            Validator = services.GetRequiredService<GatehouseTokenValidator>();
        }

        public GatehouseTokenValidator Validator { get; }

        public static async Task<ValidatorScope> CreateAsync(BenchIssuer issuer, int? cacheSize = null)
        {
            var handler = issuer.CreateMetadataHandler();
            var services = new ServiceCollection()
                .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            services.AddGatehouse(BenchIssuer.Authority, o =>
            {
                o.BackchannelHttpHandler = handler;
                o.ValidatedTokenCacheSize = cacheSize ?? o.ValidatedTokenCacheSize;
            });
            var scope = new ValidatorScope(services.BuildServiceProvider(), handler);

            // The first validation waits for discovery and the JWKS; the measured ones find them in memory.
            Check(await scope.Validator.ValidateAsync(issuer.Mint()));
            return scope;
        }

        public void Dispose()
        {
            _services.Dispose();
            _handler.Dispose();
        }
    }
}
