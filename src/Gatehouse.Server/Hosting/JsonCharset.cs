using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Server.Hosting;

/// <summary>
/// The <c>charset</c> parameter of a JSON request body. ASP.NET Core's JSON reading hands it to
/// <see cref="Encoding.GetEncoding(string)"/> as written and throws <see cref="InvalidOperationException"/> for any
/// name that method does not know, which the exception handler can only answer with a 500. That included the quoted
/// form <c>charset="utf-8"</c> (RFC 9110 §5.6.6: a quoted parameter value means the same as the token), an empty
/// value, a misspelling such as <c>UTF8</c>, and <c>utf-7</c>, which .NET no longer decodes.
/// <para>
/// RFC 8259 §11 defines no charset for <c>application/json</c> ("adding one really has no effect on compliant
/// recipients") and §8.1 requires UTF-8 between systems. So here a quoted value is unquoted, and a value .NET cannot
/// decode is dropped: that body is read as UTF-8, and if it is not JSON it gets the usual 400. A charset .NET can decode
/// (<c>utf-16</c>, <c>iso-8859-1</c>) is kept, and ASP.NET Core transcodes the body as before.
/// </para>
/// </summary>
internal static class JsonCharset
{
    private const string Charset = "charset";

    public static IApplicationBuilder UseJsonCharsetNormalization(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            Normalize(context.Request);
            return next(context);
        });

    /// <summary>Rewrites the request's Content-Type when its charset would make ASP.NET Core's JSON reading throw.</summary>
    internal static void Normalize(HttpRequest request)
    {
        // The cheap test first: nearly every request has no Content-Type or one without a charset.
        var contentType = request.ContentType;
        if (contentType is null
            || !contentType.Contains(Charset, StringComparison.OrdinalIgnoreCase)
            || !MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !IsJson(media))
        {
            return;
        }

        var parameter = media.Parameters.FirstOrDefault(p => p.Name.Equals(Charset, StringComparison.OrdinalIgnoreCase));
        if (parameter is null)
        {
            return;
        }

        var written = parameter.Value;
        var name = HeaderUtilities.RemoveQuotes(written);
        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && written.Equals(name))
        {
            return;
        }

        if (CanDecode(name))
        {
            if (written.Equals(name))
            {
                return;
            }

            parameter.Value = name;
        }
        else
        {
            media.Parameters.Remove(parameter);
        }

        request.ContentType = media.ToString();
    }

    /// <summary>The media types ASP.NET Core reads as JSON: <c>application/json</c> and any <c>+json</c> suffix.</summary>
    private static bool IsJson(MediaTypeHeaderValue media) =>
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);

    private static bool CanDecode(StringSegment name)
    {
        if (StringSegment.IsNullOrEmpty(name))
        {
            return false;
        }

        try
        {
            _ = Encoding.GetEncoding(name.ToString());
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
