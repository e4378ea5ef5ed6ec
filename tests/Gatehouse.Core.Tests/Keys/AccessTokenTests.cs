using Gatehouse.Core.Keys;
using Gatehouse.Core.Members;
using Gatehouse.Core.Sessions;
using Gatehouse.Core.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Core.Tests.Keys;

public sealed class AccessTokenTests
{
    [Fact]
    public void Token_options_refuse_a_skew_over_30_seconds_and_name_the_key()
    {
        var errors = new TokenOptions { ClockSkew = TimeSpan.FromSeconds(31) }.Validate().ToList();
        Assert.Contains(errors, e => e.Contains("Gatehouse:Tokens:ClockSkew", StringComparison.Ordinal));
    }

    [Fact]
    public void Key_options_refuse_a_master_key_that_is_not_32_bytes()
    {
        var errors = new KeyOptions { MasterKey = Convert.ToBase64String(new byte[16]) }.Validate().ToList();
        Assert.Contains(errors, e => e.Contains("Gatehouse:Keys:MasterKey", StringComparison.Ordinal));
    }

    [Fact]
    public void Member_and_session_ids_are_22_random_base64url_characters()
    {
        var a = MemberId.New();
        Assert.Equal(22, a.Value.Length);
        Assert.NotEqual(a, MemberId.New());
        Assert.True(MemberId.TryParse(a.Value, out var parsed) && parsed == a);
        Assert.False(MemberId.TryParse("12345", out _));
        Assert.False(SessionId.TryParse(a.Value + "x", out _));
        Assert.False(SessionId.TryParse(null, out _));
    }

    [Fact]
    public void The_handler_type_is_the_one_RFC_9068_names() =>
        Assert.Equal("at+jwt", AccessTokenIssuer.TokenType);

    [Fact]
    public void A_token_carries_exactly_the_documented_claims()
    {
        var token = new JsonWebToken(TestTokens.Issue(out _));
        Assert.Equal("ES256", token.Alg);
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal(["aud", "auth_time", "exp", "iat", "iss", "jti", "sid", "sub"], token.Claims.Select(c => c.Type).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(900, (token.ValidTo - token.IssuedAt).TotalSeconds);
    }
}
