namespace Gatehouse.Core.Social;

/// <summary>
/// Short-lived, single-use records (a login attempt's state, a pending sign-up): stored once, taken once. Of two
/// concurrent takes of one key exactly one gets the value; an expired record is never returned. Keys are digests
/// of the secret the client holds, never the secret itself.
/// </summary>
public interface IOneTimeTicketStore
{
    Task StoreAsync(string key, ReadOnlyMemory<byte> value, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Removes and returns the value; null when there is none or it has expired.</summary>
    Task<byte[]?> TakeAsync(string key, CancellationToken cancellationToken);
}
