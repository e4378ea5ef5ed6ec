using System.Globalization;
using System.Text.Json;

namespace Gatehouse.Server.Social.Providers;

/// <summary>Lenient reads of what providers send: dotted paths, ids as numbers or strings, flags as booleans or "true".</summary>
internal static class ProviderJson
{
    /// <summary>The element at <paramref name="path"/> (<c>kakao_account.profile.nickname</c>); null when any step is missing or not an object.</summary>
    public static JsonElement? Find(JsonElement? root, string path)
    {
        if (root is not { } current)
        {
            return null;
        }

        foreach (var step in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>A string (null when empty), or a number's exact text (GitHub's and Kakao's ids are numbers).</summary>
    public static string? Text(JsonElement? root, string path) => Find(root, path) switch
    {
        { ValueKind: JsonValueKind.String } e when e.GetString() is { Length: > 0 } s => s,
        { ValueKind: JsonValueKind.Number } e => e.TryGetInt64(out var n) ? n.ToString(CultureInfo.InvariantCulture) : e.GetRawText(),
        _ => null,
    };

    /// <summary>A boolean, also as the strings "true"/"false" (Apple's <c>email_verified</c>); null when absent or anything else.</summary>
    public static bool? Flag(JsonElement? root, string path) => Find(root, path) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } e when bool.TryParse(e.GetString(), out var b) => b,
        _ => null,
    };

    /// <summary>
    /// The provider's error code in a JSON answer: RFC 6749 §5.2's <c>error</c> (also what GitHub and Naver send with
    /// HTTP 200), or Slack's <c>{"ok": false, "error": …}</c>.
    /// </summary>
    public static string? Error(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var error = Find(json, "error") is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;
        if (Flag(json, "ok") == false)
        {
            return string.IsNullOrEmpty(error) ? "ok_false" : error;
        }

        return string.IsNullOrEmpty(error) ? null : error;
    }
}
