using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Server.Webhooks;

/// <summary>
/// Standard Webhooks signing (https://www.standardwebhooks.com): <c>webhook-signature: v1,&lt;base64(HMAC-SHA256(key,
/// id + "." + timestamp + "." + body))&gt;</c>, where the key is the bytes after <c>whsec_</c> and the timestamp is
/// the <c>webhook-timestamp</c> header (unix seconds).
/// </summary>
internal static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    public static string Sign(byte[] key, string id, long timestamp, string body)
    {
        var content = Encoding.UTF8.GetBytes(id + "." + timestamp.ToString(CultureInfo.InvariantCulture) + "." + body);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
