using System.Buffers.Text;
using System.Security.Cryptography;
using Gatehouse.Core.Keys;
using Gatehouse.Core.Sessions;

namespace Gatehouse.Core.Tests.Sessions;

public sealed class RefreshTokenCodecTests
{
    private readonly RefreshTokenCodec _codec = new(MasterKey.Generate());

    [Fact]
    public void A_new_token_is_86_base64url_characters_that_parse_back_to_its_session()
    {
        var sid = SessionId.New();
        var token = _codec.CreateInitial(sid);

        Assert.Equal(RefreshTokenCodec.EncodedLength, token.Value.Length);
        Assert.True(_codec.TryParse(token.Value, out var parsed));
        Assert.Equal(sid, parsed.SessionId);
        Assert.Equal(token.Hash, parsed.Hash);
        Assert.Equal(SHA256.HashData(parsed.Secret)[..16], parsed.Hash);
    }

    [Fact]
    public void Two_tokens_of_one_session_differ()
    {
        var sid = SessionId.New();
        Assert.NotEqual(_codec.CreateInitial(sid).Value, _codec.CreateInitial(sid).Value);
    }

    [Fact]
    public void A_token_naming_a_real_session_with_a_forged_secret_is_refused()
    {
        var sid = SessionId.New();
        var bytes = Base64Url.DecodeFromChars(_codec.CreateInitial(sid).Value);
        bytes[20] ^= 0x01;

        Assert.False(_codec.TryParse(Base64Url.EncodeToString(bytes), out _));
    }

    [Fact]
    public void A_token_from_another_deployment_is_refused()
    {
        var other = new RefreshTokenCodec(MasterKey.Generate());
        Assert.False(_codec.TryParse(other.CreateInitial(SessionId.New()).Value, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a token")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public void Garbage_is_refused_without_throwing(string? token) => Assert.False(_codec.TryParse(token, out _));

    [Fact]
    public void The_successor_is_determined_by_the_presented_token_and_the_nonce()
    {
        Assert.True(_codec.TryParse(_codec.CreateInitial(SessionId.New()).Value, out var presented));
        var nonce = RefreshTokenCodec.NewNonce();

        var first = _codec.CreateSuccessor(presented, nonce);
        var again = _codec.CreateSuccessor(presented, nonce);
        var otherNonce = _codec.CreateSuccessor(presented, RefreshTokenCodec.NewNonce());

        Assert.Equal(first.Value, again.Value);
        Assert.NotEqual(first.Value, otherNonce.Value);
        Assert.True(_codec.TryParse(first.Value, out var successor));
        Assert.Equal(presented.SessionId, successor.SessionId);
        Assert.NotEqual(presented.Hash, successor.Hash);
    }
}

public sealed class UserAgentTests
{
    [Fact]
    public void A_browser_user_agent_keeps_its_system_and_browser_within_64_characters()
    {
        var condensed = SessionService.CondenseUserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        Assert.Equal("(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36", condensed);
    }

    [Fact]
    public void Truncation_never_splits_a_surrogate_pair()
    {
        var condensed = SessionService.CondenseUserAgent(new string('a', 63) + "🚲🚲")!;
        Assert.Equal(63, condensed.Length);
        Assert.Null(SessionService.CondenseUserAgent("  "));
        Assert.Equal("curl/8.0", SessionService.CondenseUserAgent("curl/8.0\u0001"));
    }
}
