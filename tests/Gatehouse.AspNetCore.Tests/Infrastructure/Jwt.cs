using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.AspNetCore.Tests.Infrastructure;

/// <summary>Takes compact JWS apart and puts them together again, for forging tokens.</summary>
internal static class Jwt
{
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    public static string Signature(string token) => token.Split('.')[2];

    public static string Encode(JsonObject header, JsonObject payload, string signature = "") =>
        $"{Encode(header)}.{Encode(payload)}.{signature}";

    public static string Encode(JsonObject part) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(part.ToJsonString()));

    private static JsonObject Decode(string part) =>
        JsonNode.Parse(Base64UrlEncoder.DecodeBytes(part))?.AsObject() ?? throw new JsonException("Not a JSON object.");
}
