using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Tokens;
using Gatehouse.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Social.Development;

/// <summary>
/// The development provider: a small OAuth 2 authorization server inside Gatehouse, so the whole social flow
/// (the <c>development</c> preset, sign-up completion included) works offline from <c>dotnet run</c>. Its one
/// user is whoever the developer types in on its sign-in page. Mapped in Development only.
/// </summary>
public static partial class DevelopmentProviderEndpoints
{
    public const string AuthorizePath = "/dev/oauth/authorize";
    public const string TokenPath = "/dev/oauth/token";
    public const string UserInfoPath = "/dev/oauth/userinfo";

    internal const int MaxSubjectLength = 64;
    internal const int MaxNameLength = 100;
    internal const int MaxEmailLength = 254;

    /// <summary>
    /// Maps <c>/dev/oauth/authorize</c> (GET: the sign-in page; POST: its form), <c>/dev/oauth/token</c> and
    /// <c>/dev/oauth/userinfo</c>. Codes and tokens live in this process's memory. Call it only in Development.
    /// </summary>
    public static IEndpointRouteBuilder MapDevelopmentProvider(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var services = routes.ServiceProvider;
        var server = new DevelopmentAuthorizationServer(services.GetService<TimeProvider>() ?? TimeProvider.System);
        var redirects = new RedirectPolicy(services.GetService<IOptionsMonitor<FrontendOptions>>(), services.GetService<IOptionsMonitor<TokenOptions>>());
        services.GetService<ILoggerFactory>()?.CreateLogger(typeof(DevelopmentProviderEndpoints)).DevelopmentProviderOn(AuthorizePath);

        var group = routes.MapGroup("").WithTags("Development provider").ExcludeFromDescription();
        // Typed delegates, not lambdas over HttpContext alone: those would bind as RequestDelegate and drop the result.
        group.MapGet(AuthorizePath, (Func<HttpContext, IResult>)(context => ShowSignIn(context, server, redirects)));
        group.MapPost(AuthorizePath, (Func<HttpContext, Task<IResult>>)(context => SubmitSignInAsync(context, server)));
        group.MapPost(TokenPath, (Func<HttpContext, Task<Results<JsonHttpResult<DevelopmentTokenResponse>, JsonHttpResult<DevelopmentTokenError>>>>)(context => TokenAsync(context, server)));
        group.MapGet(UserInfoPath, (Func<HttpContext, Results<JsonHttpResult<DevelopmentUserInfo>, UnauthorizedHttpResult>>)(context => UserInfo(context, server)));
        return routes;
    }

    /// <summary>GET /dev/oauth/authorize: RFC 6749 §4.1.1 with PKCE S256 required.</summary>
    internal static IResult ShowSignIn(HttpContext context, DevelopmentAuthorizationServer server, RedirectPolicy redirects)
    {
        var now = server.Time.GetUtcNow();
        var (request, problem) = DevelopmentAuthorizationRequest.FromQuery(context.Request.Query, uri => redirects.IsAllowed(context, uri), now + DevelopmentAuthorizationServer.PageLifetime);
        return request is null
            ? DevelopmentSignInPage.Error(context, problem!)
            : DevelopmentSignInPage.SignIn(context, request, server.Protect(request), DevelopmentSignInForm.Initial(), problem: null, StatusCodes.Status200OK);
    }

    /// <summary>POST /dev/oauth/authorize: the form. The request comes back only as the signed value the page carried.</summary>
    internal static async Task<IResult> SubmitSignInAsync(HttpContext context, DevelopmentAuthorizationServer server)
    {
        if (!context.Request.HasFormContentType)
        {
            return DevelopmentSignInPage.Error(context, "The sign-in form was not posted as a form.");
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return DevelopmentSignInPage.Error(context, "The sign-in form could not be read.");
        }

        var request = server.Unprotect(form["request"]);
        if (request is null)
        {
            return DevelopmentSignInPage.Error(context, "This sign-in page has expired or was altered. Start the login again from the application.");
        }

        if (form["action"] == "cancel")
        {
            // RFC 6749 §4.1.2.1: the resource owner denied the request.
            return TypedResults.Redirect(AuthorizationResponse(request, ("error", OAuthErrors.AccessDenied), ("error_description", "The user cancelled the development sign-in.")));
        }

        var entered = new DevelopmentSignInForm(
            form["subject"].ToString().Trim(),
            NullIfEmpty(form["name"].ToString().Trim()),
            NullIfEmpty(form["email"].ToString().Trim()),
            form["share_email"] == "true",
            form["email_verified"] == "true");
        if (FormProblem(entered) is { } problem)
        {
            return DevelopmentSignInPage.SignIn(context, request, form["request"]!, entered, problem, StatusCodes.Status400BadRequest);
        }

        var user = new DevelopmentUser(entered.Subject, entered.Name, entered.ShareEmail ? entered.Email : null, entered.ShareEmail && entered.EmailVerified);
        var code = server.IssueCode(request, user);
        return TypedResults.Redirect(AuthorizationResponse(request, ("code", code)));
    }

    /// <summary>POST /dev/oauth/token: RFC 6749 §4.1.3 for a public client (no secret), with RFC 7636 §4.5 PKCE.</summary>
    internal static async Task<Results<JsonHttpResult<DevelopmentTokenResponse>, JsonHttpResult<DevelopmentTokenError>>> TokenAsync(HttpContext context, DevelopmentAuthorizationServer server)
    {
        // §5.1 and §5.2: token responses, successful or not, are never cached.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (!context.Request.HasFormContentType)
        {
            return Fail(OAuthErrors.InvalidRequest, "The token request must be application/x-www-form-urlencoded (RFC 6749 §4.1.3).");
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return Fail(OAuthErrors.InvalidRequest, "The form could not be read.");
        }

        foreach (var name in new[] { "grant_type", "code", "redirect_uri", "client_id", "code_verifier" })
        {
            if (form[name].Count > 1)
            {
                return Fail(OAuthErrors.InvalidRequest, $"The parameter {name} appears more than once.");
            }
        }

        if (form["grant_type"] != "authorization_code")
        {
            return Fail(OAuthErrors.UnsupportedGrantType, "Only grant_type=authorization_code is supported.");
        }

        // §2.3.1: a client may send its id through HTTP Basic (with an empty secret here); it must agree with the form.
        var clientId = form["client_id"].ToString();
        if (BasicClientId(context.Request) is { } basic)
        {
            if (basic.Length == 0 || (clientId.Length > 0 && !string.Equals(clientId, basic, StringComparison.Ordinal)))
            {
                return Fail(OAuthErrors.InvalidClient, "The client id of the Authorization header is missing or differs from client_id.", StatusCodes.Status401Unauthorized, context);
            }

            clientId = basic;
        }

        string? code = form["code"];
        string? verifier = form["code_verifier"];
        if (clientId.Length == 0 || string.IsNullOrEmpty(code) || string.IsNullOrEmpty(form["redirect_uri"]))
        {
            return Fail(OAuthErrors.InvalidRequest, "client_id, code and redirect_uri are required.");
        }

        // RFC 7636 §4.1: 43 to 128 unreserved characters.
        if (verifier is null || !VerifierPattern().IsMatch(verifier))
        {
            return Fail(OAuthErrors.InvalidRequest, "code_verifier is missing or malformed (RFC 7636 §4.1).");
        }

        var (accessToken, error) = server.Redeem(code, clientId, form["redirect_uri"], verifier);
        return accessToken is null
            ? Fail(error!.Error, error.ErrorDescription)
            : TypedResults.Json(new DevelopmentTokenResponse(accessToken, "Bearer", (long)DevelopmentAuthorizationServer.AccessTokenLifetime.TotalSeconds));
    }

    /// <summary>GET /dev/oauth/userinfo with an RFC 6750 §2.1 bearer token.</summary>
    internal static Results<JsonHttpResult<DevelopmentUserInfo>, UnauthorizedHttpResult> UserInfo(HttpContext context, DevelopmentAuthorizationServer server)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var authorization) ||
            !string.Equals(authorization.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(authorization.Parameter))
        {
            // RFC 6750 §3.1: a request without authentication gets no error code.
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gatehouse-development\"";
            return TypedResults.Unauthorized();
        }

        if (server.FindUser(authorization.Parameter) is not { } user)
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"gatehouse-development\", error=\"{OAuthErrors.InvalidToken}\", error_description=\"The access token is unknown or expired.\"";
            return TypedResults.Unauthorized();
        }

        return TypedResults.Json(new DevelopmentUserInfo(user.Subject, user.Email, user.EmailVerified, user.Name, Picture: null));
    }

    private static string AuthorizationResponse(DevelopmentAuthorizationRequest request, params (string Name, string Value)[] parameters)
    {
        var values = parameters.Select(p => new KeyValuePair<string, string?>(p.Name, p.Value)).ToList();
        if (request.State is not null)
        {
            values.Add(new("state", request.State));
        }

        return QueryHelpers.AddQueryString(request.RedirectUri, values);
    }

    private static string? FormProblem(DevelopmentSignInForm form)
    {
        if (form.Subject.Length is 0 or > MaxSubjectLength || form.Subject.Any(char.IsControl))
        {
            return $"Who are you: 1 to {MaxSubjectLength} characters.";
        }

        if (form.Name is { } name && (name.Length > MaxNameLength || name.Any(char.IsControl)))
        {
            return $"Display name: at most {MaxNameLength} characters.";
        }

        if (form.ShareEmail && (form.Email is not { } email || email.Length > MaxEmailLength || !EmailPattern().IsMatch(email)))
        {
            return "Email: type an address such as ada@example.test, or untick Share my email.";
        }

        return null;
    }

    private static string? BasicClientId(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? ""));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            // §2.3.1: the id is form-urlencoded before it is placed in the header.
            return Uri.UnescapeDataString((colon < 0 ? decoded : decoded[..colon]).Replace('+', ' '));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static JsonHttpResult<DevelopmentTokenError> Fail(string error, string description, int status = StatusCodes.Status400BadRequest, HttpContext? context = null)
    {
        if (status == StatusCodes.Status401Unauthorized && context is not null)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"gatehouse-development\"";
        }

        return TypedResults.Json(new DevelopmentTokenError(error, description), statusCode: status);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    [GeneratedRegex("^[A-Za-z0-9._~-]{43,128}$")]
    private static partial Regex VerifierPattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex EmailPattern();

    [LoggerMessage(EventId = 5301, Level = LogLevel.Warning, Message = "The development social provider is on at {Path}: anyone can sign in as anyone through it. It must never be on in production.")]
    private static partial void DevelopmentProviderOn(this ILogger logger, string path);
}
