using System.Globalization;
using System.Text;
using Gatehouse.Core.Errors;
using Gatehouse.Core.Members;
using Gatehouse.Core.Social;
using Gatehouse.Server.Endpoints.Auth;
using Gatehouse.Server.Hosting;
using Gatehouse.Server.Social;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server.Endpoints.Social;

/// <summary>
/// Social login's routes. The hand-off flow: <c>POST /auth/social/{provider}/authorization</c>, then the frontend posts
/// the code to <c>POST /auth/login</c> (see <see cref="AuthEndpoints"/>). The server-redirect flow: <c>GET …/start</c>
/// and <c>GET|POST …/callback</c>. Both end in the same <see cref="SocialFlow"/> and <see cref="SocialAccountService"/>.
/// </summary>
internal static class SocialEndpoints
{
    /// <summary>Ties a redirect-flow attempt to the browser that began it (login CSRF): HttpOnly, scoped to the social routes.</summary>
    public const string BindingCookie = "gh_social";
    private const string BindingCookiePath = "/auth/social";

    public static void MapSocialEndpoints(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/auth").WithTags("Social login");
        auth.MapGet("/providers", ListProviders).RequireCors(GatehouseBuilderExtensions.FrontendCors)
            .WithSummary("The enabled social providers and the flows each supports.");
        auth.MapPost("/social/{provider}/authorization", AuthorizeAsync).RequireCors(GatehouseBuilderExtensions.FrontendCors)
            .RequireRateLimiting(GatehouseBuilderExtensions.CredentialLimiter)
            .WithSummary("Hand-off flow: begin a login (or, with intent=link and an access token, a link); answers the provider URL and the state.");
        auth.MapGet("/social/{provider}/start", StartAsync).RequireRateLimiting(GatehouseBuilderExtensions.CredentialLimiter)
            .WithSummary("Server-redirect flow: 302 to the provider. returnTo must be on an allowed origin, else the default is used.");
        auth.MapMethods("/social/{provider}/callback", ["GET", "POST"], CallbackAsync).DisableAntiforgery()
            .WithSummary("Server-redirect flow: the provider's return (Apple: form_post). Sets the refresh cookie and 302s to returnTo.");
        routes.MapDeprovisioningEndpoints();
    }

    internal static Ok<ProviderResponse[]> ListProviders(ISocialProviderRegistry providers) =>
        TypedResults.Ok(providers.Enabled.Select(p => new ProviderResponse(p.Name, p.DisplayName, ["handoff", "redirect"])).ToArray());

    internal static async Task<Results<Ok<SocialAuthorizationResponse>, ProblemHttpResult>> AuthorizeAsync(
        string provider, SocialAuthorizationRequest request, HttpContext context, SocialFlow flow, RedirectTargets targets, CancellationToken cancellationToken)
    {
        if (!flow.TryGetProvider(provider, out var found))
        {
            return UnknownProvider(provider, context);
        }

        if (!targets.IsAllowed(request.RedirectUri))
        {
            return Problems.From(new Failure(SocialErrors.InvalidRedirect, "redirectUri must be an absolute URL on an allowed frontend origin (Gatehouse:Frontend:Origins), without a fragment.")
            {
                Fields = new Dictionary<string, string[]> { ["redirectUri"] = ["Not on an allowed origin."] },
            }, context);
        }

        FlowIntent intent;
        MemberId? member = null;
        switch (request.Intent)
        {
            case null or "login":
                intent = FlowIntent.Login;
                break;
            case "link":
                intent = FlowIntent.Link;
                member = await MemberAuthentication.AuthenticateAsync(context);
                if (member is null)
                {
                    return Problems.From(GatehouseErrors.Unauthorized, "Linking a provider needs the member's access token.", context);
                }

                break;
            default:
                return Problems.From(Failure.Validation("intent", "intent is \"login\" or \"link\"."), context);
        }

        var started = await flow.BeginAsync(found, FlowMode.HandOff, intent, request.RedirectUri!, null, member, cancellationToken);
        return started.IsSuccess
            ? TypedResults.Ok(new SocialAuthorizationResponse(started.Value.AuthorizationUrl.AbsoluteUri, started.Value.State))
            : Problems.From(started.Failure, context);
    }

    internal static async Task<IResult> StartAsync(
        string provider, string? returnTo, HttpContext context, SocialFlow flow, RedirectTargets targets, IOptionsMonitor<FrontendOptions> frontend,
        IOptionsMonitor<SocialFlowOptions> flowOptions, IOptions<Core.Tokens.TokenOptions> tokens, CancellationToken cancellationToken)
    {
        if (!flow.TryGetProvider(provider, out var found))
        {
            return UnknownProvider(provider, context);
        }

        var target = targets.IsAllowed(returnTo) ? returnTo : targets.Default;
        var started = await flow.BeginAsync(found, FlowMode.Redirect, FlowIntent.Login, CallbackUri(tokens.Value.Issuer, found), target, null, cancellationToken);
        if (!started.IsSuccess)
        {
            return Land(context, target, started.Failure);
        }

        var secure = frontend.CurrentValue.SecureCookies;
        context.Response.Cookies.Append(BindingCookie, started.Value.BrowserBinding!, new CookieOptions
        {
            HttpOnly = true,
            Secure = secure,

            // The return is a top-level navigation from the provider: Lax lets the cookie along on a GET; Apple's
            // form_post is a cross-site POST, which only SameSite=None (and so Secure) cookies follow.
            SameSite = found.UsesFormPost && secure ? SameSiteMode.None : SameSiteMode.Lax,
            Path = BindingCookiePath,
            MaxAge = flowOptions.CurrentValue.StateLifetime,
            IsEssential = true,
        });
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(started.Value.AuthorizationUrl.AbsoluteUri);
    }

    internal static async Task<IResult> CallbackAsync(
        string provider, HttpContext context, SocialFlow flow, SocialAccountService accounts, RefreshTokenTransport transport, RedirectTargets targets, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        var fields = await ReadReturnAsync(context, cancellationToken);
        context.Response.Cookies.Delete(BindingCookie, new CookieOptions { Path = BindingCookiePath });
        if (!flow.TryGetProvider(provider, out var found))
        {
            return Land(context, targets.Default, new Failure(GatehouseErrors.UnsupportedProvider, "Unknown or disabled provider."));
        }

        context.Request.Cookies.TryGetValue(BindingCookie, out var binding);
        var (profile, state) = await flow.CompleteAsync(found, FlowMode.Redirect, fields with { BrowserBinding = binding }, cancellationToken);
        var target = state?.ReturnTo ?? targets.Default;
        if (!profile.IsSuccess)
        {
            return Land(context, target, profile.Failure);
        }

        var signedIn = await accounts.SignInAsync(profile.Value.Profile, context.GetClientInfo(), profile.Value.SealedGrant, cancellationToken);
        if (!signedIn.IsSuccess)
        {
            return Land(context, target, signedIn.Failure);
        }

        if (signedIn.Value.Grant is { } grant)
        {
            transport.Respond(context, grant, inBody: false);
            return Redirect(target, signedIn.Value.Created ? "status=signed_up" : "status=logged_in");
        }

        var pending = signedIn.Value;
        return Redirect(target, "status=signup_required&signupToken=" + Uri.EscapeDataString(pending.SignupToken!)
            + "&missing=" + Uri.EscapeDataString(string.Join(',', pending.Missing)));
    }

    /// <summary>The hand-off flow's second half, behind <c>POST /auth/login</c> with a provider's name.</summary>
    internal static async Task<Results<Ok<TokenResponse>, Created<TokenResponse>, Ok<SignupRequiredResponse>, Ok<LinkedResponse>, ProblemHttpResult>> CompleteHandOffAsync(
        string provider, LoginRequest request, HttpContext context, SocialFlow flow, SocialAccountService accounts, RefreshTokenTransport transport, CancellationToken cancellationToken)
    {
        if (!flow.TryGetProvider(provider, out var found))
        {
            return UnknownProvider(provider, context);
        }

        var (profile, state) = await flow.CompleteAsync(found, FlowMode.HandOff, new FlowReturn(request.Code, request.State, request.Iss, request.Error, null, request.User, null), cancellationToken);
        if (!profile.IsSuccess)
        {
            return Problems.From(profile.Failure, context);
        }

        if (state!.Intent == FlowIntent.Link)
        {
            // The link completes only for the member who began it, with their token: a link attempt's URL sent to a
            // victim cannot attach the victim's provider account to the attacker's member.
            var member = await MemberAuthentication.AuthenticateAsync(context);
            if (member is null || member.Value.Value != state.MemberId)
            {
                return Problems.From(GatehouseErrors.Unauthorized, "Completing a link needs the access token of the member who began it.", context);
            }

            var linked = await accounts.LinkAsync(member.Value, profile.Value.Profile, profile.Value.SealedGrant, cancellationToken);
            return linked.IsSuccess
                ? TypedResults.Ok(new LinkedResponse("linked", linked.Value.Select(IdentityResponse.From).ToArray()))
                : Problems.From(linked.Failure, context);
        }

        var signedIn = await accounts.SignInAsync(profile.Value.Profile, context.GetClientInfo(), profile.Value.SealedGrant, cancellationToken);
        if (!signedIn.IsSuccess)
        {
            return Problems.From(signedIn.Failure, context);
        }

        if (signedIn.Value.Grant is { } grant)
        {
            var response = transport.Respond(context, grant, RefreshTokenTransport.WantsBody(request.RefreshTokenDelivery));
            return signedIn.Value.Created ? TypedResults.Created("/members/me", response) : TypedResults.Ok(response);
        }

        var pending = signedIn.Value;
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new SignupRequiredResponse("signup_required", pending.SignupToken!, ProfileResponse.From(pending.Profile!), pending.Missing));
    }

    private static string CallbackUri(string issuer, ISocialProvider provider) =>
        issuer.TrimEnd('/') + "/auth/social/" + Uri.EscapeDataString(provider.Name) + "/callback";

    private static async Task<FlowReturn> ReadReturnAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            return new FlowReturn(form["code"], form["state"], form["iss"], form["error"], form["error_description"], form["user"], null);
        }

        var query = request.Query;
        return new FlowReturn(query["code"], query["state"], query["iss"], query["error"], query["error_description"], null, null);
    }

    /// <summary>Ends a redirect-flow attempt on the frontend, with the outcome in the fragment (never sent to a server, never logged).</summary>
    private static IResult Land(HttpContext context, string? target, Failure failure)
    {
        if (target is null)
        {
            return Problems.From(failure, context);
        }

        var fragment = new StringBuilder("error=").Append(Uri.EscapeDataString(failure.Error));
        if (failure.ProviderError is { } providerError)
        {
            fragment.Append("&providerError=").Append(Uri.EscapeDataString(providerError));
        }

        return Redirect(target, fragment.ToString());
    }

    /// <summary>Without a configured frontend, the browser lands on Gatehouse's own root (the demo page in Development).</summary>
    private static RedirectHttpResult Redirect(string? target, string fragment) =>
        TypedResults.Redirect((target ?? "/") + "#" + fragment);

    private static ProblemHttpResult UnknownProvider(string provider, HttpContext context) =>
        Problems.From(new Failure(GatehouseErrors.UnsupportedProvider, string.Create(CultureInfo.InvariantCulture, $"The provider '{(provider.Length <= 40 ? provider : provider[..40])}' is not enabled."))
        {
            Fields = new Dictionary<string, string[]> { ["provider"] = ["Unknown or disabled provider."] },
        }, context);
}
