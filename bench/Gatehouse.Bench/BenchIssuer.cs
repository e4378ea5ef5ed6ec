using System.Net;
using System.Text;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Bench;

/// <summary>
/// Gatehouse's own token issuing, in process: a <see cref="SigningKeyRing"/> over an in-memory key store and the
/// <see cref="AccessTokenIssuer"/> the server uses, so the tokens are byte for byte what the server mints.
/// </summary>
internal sealed class BenchIssuer : IDisposable
{
    public const string Authority = "https://gatehouse.bench.invalid";

    private readonly ServiceProvider _services;

    private BenchIssuer(ServiceProvider services, SigningKeyRing keys, AccessTokenIssuer issuer)
    {
        _services = services;
        Keys = keys;
        Issuer = issuer;
    }

    public SigningKeyRing Keys { get; }

    public AccessTokenIssuer Issuer { get; }

    public static async Task<BenchIssuer> CreateAsync()
    {
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(MasterKey.Generate())
            .AddSingleton<ISigningKeyStore, InMemorySigningKeyStore>()
            .AddSingleton<SigningKeyRing>()
            .AddSingleton<AccessTokenIssuer>()
            .Configure<KeyOptions>(_ => { })
            .Configure<TokenOptions>(o =>
            {
                o.Issuer = Authority;

                // Long enough that no token expires during the run, so every validation succeeds.
                o.AccessTokenLifetime = TimeSpan.FromHours(1);
            })
            .BuildServiceProvider();
        var keys = services.GetRequiredService<SigningKeyRing>();
        await keys.InitializeAsync(CancellationToken.None);
        return new BenchIssuer(services, keys, services.GetRequiredService<AccessTokenIssuer>());
    }

    public string Mint() => Issuer.Issue(MemberId.New(), SessionId.New()).Value;

    /// <summary>Distinct tokens, minted on every core.</summary>
    public string[] MintMany(int count)
    {
        var tokens = new string[count];
        Parallel.For(0, count, i => tokens[i] = Mint());
        return tokens;
    }

    /// <summary>Answers the discovery document and the JWKS as Gatehouse publishes them, without a socket.</summary>
    public HttpMessageHandler CreateMetadataHandler() => new MetadataHandler(this);

    public void Dispose() => _services.Dispose();

    private sealed class MetadataHandler(BenchIssuer issuer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri?.AbsolutePath;
            var json = path switch
            {
                "/.well-known/openid-configuration" => $$"""{"issuer":"{{Authority}}","jwks_uri":"{{Authority}}/.well-known/jwks.json","id_token_signing_alg_values_supported":["ES256"]}""",
                "/.well-known/jwks.json" => "{\"keys\":[" + string.Join(',', issuer.Keys.GetPublishedJwkJson()) + "]}",
                _ => null,
            };
            var response = json is null
                ? new HttpResponseMessage(HttpStatusCode.NotFound)
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            return Task.FromResult(response);
        }
    }

    private sealed class InMemorySigningKeyStore : ISigningKeyStore
    {
        private readonly Lock _gate = new();
        private readonly List<SigningKeyRecord> _keys = [];

        public Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return Task.FromResult<IReadOnlyList<SigningKeyRecord>>([.. _keys]);
            }
        }

        public Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _keys.Add(key);
            }

            return Task.CompletedTask;
        }

        public Task<bool> AddUnlessOneSignsAsync(SigningKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_keys.Exists(k => k.SignsAt(now)))
                {
                    return Task.FromResult(false);
                }

                _keys.Add(key);
                return Task.FromResult(true);
            }
        }

        public Task RetireAsync(string keyId, DateTimeOffset retiresAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                var index = _keys.FindIndex(k => k.KeyId == keyId);
                if (index >= 0)
                {
                    _keys[index] = _keys[index] with { RetiresAt = retiresAt, ExpiresAt = expiresAt };
                }
            }

            return Task.CompletedTask;
        }

        public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return Task.FromResult(_keys.RemoveAll(k => k.ExpiresAt <= now));
            }
        }
    }
}
