using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Core.Keys;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// Builds the access tokens an attacker (or a confused client) would send: re-signed with the server's own key but
/// with a claim changed, signed with the wrong algorithm or key, or with the signature stripped.
/// </summary>
internal static class TokenForgery
{
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    /// <summary>Signs header and payload with the key the server signs with now (ES256, JWS's r‖s form).</summary>
    public static string SignWithServerKey(GatehouseFactory factory, JsonObject header, JsonObject payload)
    {
        var credentials = factory.Services.GetRequiredService<SigningKeyRing>().GetSigningCredentials();
        var ecdsa = ((ECDsaSecurityKey)credentials.Key).ECDsa;
        return SignEs256(ecdsa, header, payload);
    }

    public static string SignEs256(ECDsa key, JsonObject header, JsonObject payload)
    {
        var signingInput = Encode(header) + "." + Encode(payload);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The classic algorithm confusion: HS256 with a public key's bytes as the HMAC secret.</summary>
    public static string SignHs256(byte[] secret, JsonObject header, JsonObject payload)
    {
        var signingInput = Encode(header) + "." + Encode(payload);
        return signingInput + "." + Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)));
    }

    public static string Unsigned(JsonObject header, JsonObject payload) => Encode(header) + "." + Encode(payload) + ".";

    public static JsonObject With(JsonObject node, string name, JsonNode? value)
    {
        var copy = (JsonObject)node.DeepClone();
        copy[name] = value;
        return copy;
    }

    public static string Encode(JsonObject node) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(node.ToJsonString()));

    private static JsonObject Decode(string part) =>
        JsonNode.Parse(Base64Url.DecodeFromChars(part), documentOptions: new JsonDocumentOptions())!.AsObject();
}
