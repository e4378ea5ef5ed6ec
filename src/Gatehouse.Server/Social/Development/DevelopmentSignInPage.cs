using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;

namespace Gatehouse.Server.Social.Development;

/// <summary>What the sign-in form holds when it is (re)rendered.</summary>
internal sealed record DevelopmentSignInForm(string Subject, string? Name, string? Email, bool ShareEmail, bool EmailVerified)
{
    public static DevelopmentSignInForm Initial()
    {
        var subject = "dev-" + RandomNumberGenerator.GetInt32(1000, 10000).ToString(CultureInfo.InvariantCulture);
        return new(subject, null, subject + "@example.test", ShareEmail: true, EmailVerified: true);
    }
}

/// <summary>
/// The development provider's pages: self-contained HTML (no script, no external asset), every echoed value
/// HTML-encoded, under a Content-Security-Policy that allows only the page's own inline style and form posts to
/// itself and to the client's redirect origin (Chromium applies form-action to the redirect that follows the post).
/// </summary>
internal static class DevelopmentSignInPage
{
    public const string Title = "Development sign-in";

    public static IResult SignIn(HttpContext context, DevelopmentAuthorizationRequest request, string protectedRequest, DevelopmentSignInForm form, string? problem, int status)
    {
        var redirect = new Uri(request.RedirectUri);
        var nonce = SecureHeaders(context, redirect.GetLeftPart(UriPartial.Authority));
        var action = context.Request.PathBase + DevelopmentProviderEndpoints.AuthorizePath;
        var body = $"""
            <p class="lead">Signing in to <b>{E(request.ClientId)}</b>, which will receive you at <code>{E(redirect.GetLeftPart(UriPartial.Path))}</code>{(request.Scope is null ? "" : $" with scope <code>{E(request.Scope)}</code>")}.</p>
            {(problem is null ? "" : $"<p class=\"problem\" role=\"alert\">{E(problem)}</p>")}
            <form method="post" action="{E(action)}" autocomplete="off">
              <input type="hidden" name="request" value="{E(protectedRequest)}">
              <label for="subject">Who are you</label>
              <input id="subject" name="subject" value="{E(form.Subject)}" required maxlength="{DevelopmentProviderEndpoints.MaxSubjectLength}" spellcheck="false">
              <p class="hint">The provider's user id (<code>sub</code>). The same id logs in as the same member.</p>
              <label for="name">Display name</label>
              <input id="name" name="name" value="{E(form.Name)}" maxlength="{DevelopmentProviderEndpoints.MaxNameLength}" placeholder="Ada Lovelace">
              <label for="email">Email</label>
              <input id="email" name="email" type="email" value="{E(form.Email)}" maxlength="{DevelopmentProviderEndpoints.MaxEmailLength}" spellcheck="false">
              <p class="hint">Sent to the application only when Share my email is ticked.</p>
              <label class="check"><input type="checkbox" name="share_email" value="true"{(form.ShareEmail ? " checked" : "")}> Share my email</label>
              <label class="check"><input type="checkbox" name="email_verified" value="true"{(form.EmailVerified ? " checked" : "")}> Email verified</label>
              <div class="buttons">
                <button type="submit" name="action" value="signin">Sign in</button>
                <button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
              </div>
            </form>
            """;
        return TypedResults.Content(Layout(nonce, body), "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>A request the page cannot serve: said on the page, never redirected (see <see cref="DevelopmentAuthorizationRequest.FromQuery"/>).</summary>
    public static IResult Error(HttpContext context, string problem)
    {
        var nonce = SecureHeaders(context, formTarget: null);
        var body = $"""
            <p class="problem" role="alert">{E(problem)}</p>
            <p>The application that sent you here made an authorization request this provider cannot serve, so you are not sent back to it.</p>
            """;
        return TypedResults.Content(Layout(nonce, body), "text/html; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
    }

    private static string Layout(string nonce, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>{{Title}}</title>
        <style nonce="{{nonce}}">
          :root { color-scheme: light dark; --accent: #2f6f4f; --muted: #667; --line: #c9ccd3; }
          * { box-sizing: border-box; }
          body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px;
                 font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f3f4f6; color: #1d2129; }
          main { width: 100%; max-width: 420px; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 28px; }
          h1 { margin: 0 0 4px; font-size: 22px; }
          .badge { display: inline-block; margin-bottom: 14px; padding: 2px 8px; border-radius: 999px; font-size: 12px;
                   background: #fff4d6; color: #7a5200; border: 1px solid #f0d28a; }
          .lead { margin: 0 0 16px; color: var(--muted); overflow-wrap: anywhere; }
          label { display: block; margin: 12px 0 4px; font-weight: 600; }
          label.check { font-weight: 400; margin: 8px 0; }
          input:not([type]), input[type=email] { width: 100%; padding: 8px 10px; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
          .hint { margin: 4px 0 0; font-size: 13px; color: var(--muted); }
          .buttons { display: flex; gap: 10px; margin-top: 20px; }
          button { flex: 1; padding: 9px 12px; font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid var(--accent);
                   background: var(--accent); color: #fff; cursor: pointer; }
          button.secondary { background: transparent; color: var(--accent); }
          .problem { padding: 8px 10px; border-radius: 6px; background: #fde8e8; color: #8a1c1c; overflow-wrap: anywhere; }
          footer { margin-top: 20px; font-size: 13px; color: var(--muted); }
          code { font-size: 13px; }
          @media (prefers-color-scheme: dark) {
            body { background: #15171b; color: #e6e8eb; }
            main { background: #1d2026; border-color: #343842; }
            input:not([type]), input[type=email] { background: #15171b; color: inherit; border-color: #343842; }
            .badge { background: #3a2f12; color: #f4d58d; border-color: #5c4a1c; }
            .problem { background: #3b1d1d; color: #f6b8b8; }
            button.secondary { color: #8fd1ae; border-color: #8fd1ae; }
          }
        </style>
        </head>
        <body>
        <main>
        <h1>{{Title}}</h1>
        <span class="badge">Development only</span>
        {{body}}
        <footer>This is Gatehouse's built-in development provider. It exists only while Gatehouse runs in Development,
        so that social login works offline: nothing is verified, you simply say who you are. Production never serves this page.</footer>
        </main>
        </body>
        </html>
        """;

    /// <summary>Sets the headers of every page and returns the nonce of its one inline style.</summary>
    private static string SecureHeaders(HttpContext context, string? formTarget)
    {
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = $"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'{(formTarget is null ? "" : " " + formTarget)}; frame-ancestors 'none'; base-uri 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        return nonce;
    }

    private static string E(string? value) => value is null ? "" : HtmlEncoder.Default.Encode(value);
}
