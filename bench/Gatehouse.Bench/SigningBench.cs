using System.Security.Cryptography;

namespace Gatehouse.Bench;

/// <summary>ES256: Gatehouse's <c>AccessTokenIssuer.Issue</c> (claims, JSON, signature), and the bare P-256 operations beneath it for reference.</summary>
internal static class SigningBench
{
    public static Rate Issue(BenchIssuer issuer, TimeSpan warmup, TimeSpan duration) =>
        Measure.Run("issue", 1, warmup, duration, (_, _) => () => issuer.Mint().Length > 0);

    /// <summary>One P-256 verify of a token-sized input: the floor under a cold validation.</summary>
    public static Rate RawVerify(int threads, TimeSpan warmup, TimeSpan duration)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var data = RandomNumberGenerator.GetBytes(330);
        var signature = key.SignData(data, HashAlgorithmName.SHA256);
        return Measure.Run("P-256 verify", threads, warmup, duration, (_, _) =>
        {
            // ECDsa objects are not documented as thread-safe: one per worker.
            var own = ECDsa.Create(key.ExportParameters(false));
            return () => own.VerifyData(data, signature, HashAlgorithmName.SHA256)
                ? true
                : throw new InvalidOperationException("A P-256 signature did not verify.");
        });
    }

    public static Rate RawSign(TimeSpan warmup, TimeSpan duration)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var data = RandomNumberGenerator.GetBytes(330);
        return Measure.Run("P-256 sign", 1, warmup, duration, (_, _) => () => key.SignData(data, HashAlgorithmName.SHA256).Length > 0);
    }
}
