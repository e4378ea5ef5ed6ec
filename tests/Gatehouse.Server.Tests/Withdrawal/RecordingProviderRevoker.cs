using System.Collections.Concurrent;
using Gatehouse.Server.Social.Revocation;

namespace Gatehouse.Server.Tests.Withdrawal;

/// <summary>
/// A real <see cref="IProviderRevoker"/> for these tests (the HTTP one is built and tested on its own branch): it
/// records every call and can be told to be slow or to answer a given status.
/// </summary>
internal sealed class RecordingProviderRevoker : IProviderRevoker
{
    private readonly ConcurrentQueue<(string Provider, string Subject, byte[]? Grant)> _calls = new();

    public TimeSpan Delay { get; set; }

    public RevocationStatus Answer { get; set; } = RevocationStatus.Revoked;

    public IReadOnlyList<(string Provider, string Subject, byte[]? Grant)> Calls => [.. _calls];

    public bool NeedsGrant(string provider) => true;

    public async Task<RevocationResult> RevokeAsync(string provider, string subject, byte[]? sealedGrant, CancellationToken cancellationToken)
    {
        await Task.Delay(Delay, cancellationToken);
        _calls.Enqueue((provider, subject, sealedGrant));
        return new RevocationResult(Answer, Answer == RevocationStatus.Revoked ? null : "told to " + Answer);
    }
}
