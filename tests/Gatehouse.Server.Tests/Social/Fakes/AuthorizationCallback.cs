using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>
/// What a provider's authorization endpoint sends the browser back with: a 302 to <c>redirect_uri?code=…&amp;state=…</c>,
/// or (Apple's <c>response_mode=form_post</c>) a page whose form posts those fields to <c>redirect_uri</c>.
/// </summary>
/// <param name="RedirectUri">Where the browser goes next, without the parameters.</param>
/// <param name="FormPost">True when the parameters arrive as a form POST (Apple).</param>
public sealed partial record AuthorizationCallback(Uri RedirectUri, bool FormPost, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Code => Get("code");

    public string? State => Get("state");

    /// <summary>RFC 9207's <c>iss</c>, when the fake sends it.</summary>
    public string? Issuer => Get("iss");

    public string? Error => Get("error");

    /// <summary>Apple's first-login <c>user</c> field (JSON with the name).</summary>
    public string? User => Get("user");

    public string? Get(string name) => Parameters.GetValueOrDefault(name);

    /// <summary>Reads the authorization endpoint's answer: a redirect, or an auto-submitting form.</summary>
    public static async Task<AuthorizationCallback> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.StatusCode is HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.Redirect && response.Headers.Location is { } location)
        {
            var target = location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
            var parameters = QueryHelpers.ParseQuery(target.Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
            return new AuthorizationCallback(new Uri(target.GetLeftPart(UriPartial.Path)), FormPost: false, parameters);
        }

        var html = await response.Content.ReadAsStringAsync();
        var action = FormAction().Match(html);
        if (response.StatusCode != HttpStatusCode.OK || !action.Success)
        {
            throw new InvalidOperationException($"The authorization endpoint answered {(int)response.StatusCode} without a redirect or a form: {html}");
        }

        var fields = HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value), StringComparer.Ordinal);
        return new AuthorizationCallback(new Uri(WebUtility.HtmlDecode(action.Groups["action"].Value)), FormPost: true, fields);
    }

    /// <summary>The callback as a form body, as the browser would post it.</summary>
    public FormUrlEncodedContent ToForm() => new(Parameters);

    [GeneratedRegex("<form[^>]*method=\"post\"[^>]*action=\"(?<action>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
