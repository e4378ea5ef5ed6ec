namespace Gatehouse.Server.Tests.Social.Fakes;

/// <summary>Which provider a <see cref="FakeProviderServer"/> imitates: its paths, its JSON, its way of failing.</summary>
public enum FakeProviderKind
{
    Kakao,
    Naver,
    Google,
    GitHub,
    Slack,
    Apple,

    /// <summary>A generic OpenID Connect provider (discovery, JWKS, id token, userinfo).</summary>
    OpenIdConnect,

    /// <summary>A generic OAuth 2 provider whose user JSON is nested (read through JSON paths).</summary>
    OAuth2,

    /// <summary>The shape of Gatehouse's own development provider (<c>/dev/oauth/*</c>, a public client).</summary>
    Development,
}

/// <summary>An endpoint of the fake, for <see cref="FakeProviderServer.Fault"/> and <see cref="FakeProviderServer.Calls"/>.</summary>
public enum FakeEndpoint
{
    Authorize,
    Token,
    UserInfo,

    /// <summary>GitHub's <c>/user/emails</c>.</summary>
    Emails,
    Discovery,
    Jwks,

    /// <summary>Where a link is revoked (Naver: its token endpoint, <see cref="Token"/>).</summary>
    Revocation,
}

/// <summary>How an endpoint misbehaves.</summary>
public enum FakeFault
{
    /// <summary>HTTP 500 with a plain-text body.</summary>
    ServerError,

    /// <summary>HTTP 200 with an HTML page (a captive portal, a maintenance page).</summary>
    Html,

    /// <summary>HTTP 200, <c>application/json</c>, 10 MB streamed without a Content-Length.</summary>
    HugeBody,

    /// <summary>Answers after <see cref="FakeProviderServer.SlowDelay"/> (or never, if the client gives up first).</summary>
    Slow,
}

/// <summary>What is wrong with the next id tokens the fake issues.</summary>
public enum IdTokenTampering
{
    None,

    /// <summary>Header <c>{"alg":"none"}</c> and no signature.</summary>
    AlgNone,

    /// <summary>A valid token with its signature altered.</summary>
    BadSignature,

    /// <summary>HS256 with the published RSA modulus as the MAC key (algorithm confusion).</summary>
    SymmetricAlgorithm,

    /// <summary>Signed by a key the JWKS does not publish.</summary>
    ForeignKey,
    WrongAudience,

    /// <summary>Audiences this client and another, and no <c>azp</c> naming the party it was issued to.</summary>
    SeveralAudiencesWithoutAuthorizedParty,

    /// <summary>Audiences this client and another, with <c>azp</c> the other client: a token obtained by someone else.</summary>
    AnotherAuthorizedParty,
    WrongIssuer,

    /// <summary>Expired an hour ago (well beyond any clock skew).</summary>
    Expired,
    WrongNonce,
}

/// <summary>The account the fake's authorization endpoint signs in (it approves at once).</summary>
/// <param name="Subject">The provider's user id: digits for Kakao, GitHub and the OAuth 2 fake (they send numbers).</param>
public sealed record FakeUser(string Subject)
{
    public string? Email { get; init; }

    public bool EmailVerified { get; init; } = true;

    public string? Name { get; init; }

    public string? Picture { get; init; }

    /// <summary>GitHub: the login, used as the name when <see cref="Name"/> is null.</summary>
    public string? Login { get; init; }

    /// <summary>GitHub: false makes <c>/user</c> answer <c>"email": null</c> (the address is still in <c>/user/emails</c>).</summary>
    public bool EmailIsPublic { get; init; } = true;

    /// <summary>Kakao: <c>is_email_valid</c>.</summary>
    public bool EmailValid { get; init; } = true;

    public static FakeUser For(FakeProviderKind kind) => kind switch
    {
        FakeProviderKind.Kakao => new("4117532219") { Email = "minji@kakao.test", Name = "민지", Picture = "https://k.kakaocdn.test/img_640x640.jpg" },
        FakeProviderKind.Naver => new("hXn1n2Y8H6Vc0t7S3gZ5YfE1pQ9bL0dKjR3mN4oP5q") { Email = "minji@naver.test", Name = "민지", Picture = "https://phinf.pstatic.test/profile.png" },
        FakeProviderKind.Google => new("110169484474386276334") { Email = "ada@gmail.test", Name = "Ada Lovelace", Picture = "https://lh3.googleusercontent.test/a/photo" },
        FakeProviderKind.GitHub => new("583231") { Login = "octocat", Email = "octocat@github.test", Name = "The Octocat", Picture = "https://avatars.githubusercontent.test/u/583231" },
        FakeProviderKind.Slack => new("U0R7JM") { Email = "krane@slack.test", Name = "krane", Picture = "https://secure.gravatar.test/avatar/krane.jpg" },
        FakeProviderKind.Apple => new("001234.abcdef0123456789abcdef0123456789.0123") { Email = "x7k2pq@privaterelay.appleid.test", Name = "Jane Appleseed" },
        FakeProviderKind.OpenIdConnect => new("oidc-user-1") { Email = "grace@oidc.test", Name = "Grace Hopper", Picture = "https://oidc.test/grace.png" },
        FakeProviderKind.OAuth2 => new("9007199254") { Email = "linus@oauth2.test", Name = "Linus", Picture = "https://oauth2.test/linus.png" },
        _ => new("dev-user") { Email = "dev@example.test", Name = "Dev User" },
    };
}
