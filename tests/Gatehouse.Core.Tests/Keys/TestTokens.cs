using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Core.Tests.Keys;

internal static class TestTokens
{
    public static string Issue(out SigningKeyRing ring)
    {
        var tokens = new TokenOptions { Issuer = "https://gatehouse.test" };
        ring = new SigningKeyRing(new NoStore(), MasterKey.Generate(), new Monitor<KeyOptions>(new KeyOptions()), new Monitor<TokenOptions>(tokens), TimeProvider.System, NullLogger<SigningKeyRing>.Instance);
        ring.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new AccessTokenIssuer(ring, new Monitor<TokenOptions>(tokens), TimeProvider.System).Issue(MemberId.New(), SessionId.New()).Value;
    }

    private sealed class Monitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    private sealed class NoStore : ISigningKeyStore
    {
        private readonly List<SigningKeyRecord> _keys = [];

        public Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<SigningKeyRecord>>([.. _keys]);

        public Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
        {
            _keys.Add(key);
            return Task.CompletedTask;
        }

        public async Task<bool> AddUnlessOneSignsAsync(SigningKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken)
        {
            if (_keys.Any(k => k.SignsAt(now)))
            {
                return false;
            }

            await AddAsync(key, cancellationToken);
            return true;
        }

        public Task RetireAsync(string keyId, DateTimeOffset retiresAt, DateTimeOffset expiresAt, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}
