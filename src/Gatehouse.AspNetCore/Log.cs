using Microsoft.Extensions.Logging;

namespace Gatehouse.AspNetCore;

/// <summary>Every log line of the library. None carries a token or any part of one.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Fetched Gatehouse signing keys from {MetadataAddress}: issuer {Issuer}, {KeyCount} key(s), key set generation {Generation}.")]
    public static partial void SigningKeysFetched(this ILogger logger, string metadataAddress, string issuer, int keyCount, long generation);

    [LoggerMessage(2, LogLevel.Warning, "Could not fetch Gatehouse signing keys from {MetadataAddress}; next attempt in {RetryIn}. Tokens are checked against the keys fetched before, if any.")]
    public static partial void SigningKeysFetchFailed(this ILogger logger, string metadataAddress, TimeSpan retryIn, Exception exception);

    [LoggerMessage(3, LogLevel.Error, "The discovery document at {MetadataAddress} names issuer {Issuer}, but the configured authority is {Authority}; they must be identical (OpenID Connect Discovery 1.0 §4.3). Its keys are not used.")]
    public static partial void IssuerMismatch(this ILogger logger, string metadataAddress, string issuer, string authority);

    [LoggerMessage(4, LogLevel.Debug, "A token names a signing key we do not know; the keys were fetched less than {MinimumInterval} ago, so they are not fetched again yet.")]
    public static partial void UnknownKeyRefreshRateLimited(this ILogger logger, TimeSpan minimumInterval);

    [LoggerMessage(5, LogLevel.Information, "A token names a signing key we do not know; fetching the signing keys again.")]
    public static partial void UnknownKeyRefreshStarted(this ILogger logger);

    // Debug: it comes with every request while the issuer is away; SigningKeysFetchFailed says why, once per attempt.
    [LoggerMessage(6, LogLevel.Debug, "No Gatehouse signing keys are available (the issuer at {MetadataAddress} has not answered yet); the token is refused.")]
    public static partial void SigningKeysUnavailable(this ILogger logger, string metadataAddress);
}
