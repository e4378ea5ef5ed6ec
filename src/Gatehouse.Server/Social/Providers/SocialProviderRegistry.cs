using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Social.Providers;

/// <summary>The enabled providers of <c>Gatehouse:Social:Providers</c>, built once at start-up, ordered by name.</summary>
internal sealed class SocialProviderRegistry : ISocialProviderRegistry, IDisposable
{
    private readonly Dictionary<string, CodeFlowProvider> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<CodeFlowProvider> _enabled = [];

    public SocialProviderRegistry(IOptions<SocialOptions> options, ProviderHttp http, TimeProvider time, ILogger<CodeFlowProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (name, provider) in options.Value.Providers.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (provider.Enabled)
            {
                var built = new CodeFlowProvider(ProviderPresets.Resolve(name, provider), http, time, logger);
                _byName.Add(built.Name, built);
                _enabled.Add(built);
            }
        }
    }

    public IReadOnlyList<ISocialProvider> Enabled => _enabled;

    public bool TryGet(string name, [NotNullWhen(true)] out ISocialProvider? provider)
    {
        provider = _byName.GetValueOrDefault(name);
        return provider is not null;
    }

    public void Dispose()
    {
        foreach (var provider in _enabled)
        {
            provider.Dispose();
        }
    }
}
