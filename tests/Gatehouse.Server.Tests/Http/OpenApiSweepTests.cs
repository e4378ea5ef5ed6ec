using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// Every operation of the OpenAPI description, with what nobody should send: JSON bodies that are broken, of the
/// wrong types or full of NULs and lone surrogates, under odd content types and charsets; hostile path and query values;
/// and an <c>Accept</c> that names no JSON type. Whatever the endpoint, the answer is never a 5xx, and a 4xx is
/// <c>application/problem+json</c> with an <c>error</c> code. It reads the endpoints from the description, so one added
/// later is swept too. A sweep of this kind found a 500 for <c>charset="utf-8"</c>, one for an <c>Accept: text/html</c>
/// while Redis was down, and a 503 for a NUL in an admin filter on PostgreSQL.
/// </summary>
public sealed class OpenApiSweepTests : IClassFixture<GatehouseFixture>
{
    private static readonly string[] Bodies =
    [
        "",
        "null",
        "[]",
        "\"a string\"",
        "{",
        "{\"a\":1,}",
        "{\"email\":\"\\u0000\",\"password\":\"\\u0000\",\"nickname\":\"\\u0000\",\"refreshToken\":\"\\u0000\",\"provider\":\"\\u0000\",\"code\":\"\\u0000\",\"state\":\"\\u0000\",\"redirectUri\":\"\\u0000\",\"payload\":\"\\u0000\",\"signupToken\":\"\\u0000\"}",
        "{\"email\":\"\\ud800\",\"password\":\"\\udfff\",\"nickname\":\"\\ud800\",\"refreshToken\":\"\\ud800\",\"provider\":\"\\ud800\",\"redirectUri\":\"\\ud800\",\"payload\":\"\\ud800\"}",
        "{\"email\":5,\"password\":[],\"nickname\":{},\"refreshToken\":true,\"provider\":1.5,\"code\":[1],\"state\":{},\"redirectUri\":7,\"intent\":[],\"payload\":9}",
        "{\"provider\":\"development\",\"code\":\"" + new string('c', 5000) + "\",\"state\":\"" + new string('s', 5000) + "\"}",
        "{\"redirectUri\":\"javascript:alert(1)\",\"intent\":\"link\"}",
        new string('[', 3000) + new string(']', 3000),
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json",
        "application/json; charset=\"utf-8\"",
        "application/json; charset=nope",
        "application/merge-patch+json",
        "text/plain",
    ];

    // No %00: Kestrel (and the test host) refuse a NUL in the path before any endpoint runs.
    private static readonly string[] PathValues = ["%2F", "%2E%2E", "%C3%A9", "%F0%9F%92%A5", "-1", "99999999999999999999", new string('a', 3000)];

    private static readonly string[] QueryValues = ["", "%00", "-1", "0", "99999999999999999999", "abc", "%ED%A0%80", new string('a', 3000)];

    private readonly GatehouseFixture _fixture;

    public OpenApiSweepTests(GatehouseFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task No_operation_answers_hostile_input_with_a_5xx_or_an_error_without_problem_details()
    {
        var operations = await ReadOperationsAsync();
        Assert.True(operations.Count >= 25, $"The description lists only {operations.Count} operations.");

        // A member of its own: a sweep may end sessions (DELETE /auth/sessions/{id}, POST /auth/logout-all).
        var member = await _fixture.Factory.SignupAsync();
        var failures = new List<string>();
        var sent = 0;
        foreach (var operation in operations)
        {
            foreach (var request in Requests(operation))
            {
                foreach (var accept in new[] { null, "text/html" })
                {
                    using var message = request();
                    Authorize(message, operation.Path, member.AccessToken);
                    if (accept is not null)
                    {
                        message.Headers.Accept.ParseAdd(accept);
                    }

                    var what = $"{message.Method} {Truncate(message.RequestUri!.OriginalString, 120)} (Content-Type {message.Content?.Headers.ContentType?.ToString() ?? "none"}, Accept {accept ?? "none"})";
                    using var client = _fixture.Factory.CreateApiClient();
                    sent++;
                    HttpResponseMessage response;
                    try
                    {
                        response = await client.SendAsync(message, Ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The test host hands an exception nobody handled to the client; Kestrel would answer an empty 500.
                        failures.Add($"{what}: unhandled {e.GetType().Name}: {Truncate(e.Message, 200)}");
                        continue;
                    }

                    using (response)
                    {
                        if (await ProblemWithAsync(message.Method, response) is { } problem)
                        {
                            failures.Add($"{what}: {problem}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(30))}");
        using var still = _fixture.Factory.CreateApiClient();
        await LoginForTokensAsync(still, _fixture.Member.Email);
    }

    private static IEnumerable<Func<HttpRequestMessage>> Requests(Operation operation)
    {
        var path = operation.Path.Replace("{provider}", "development", StringComparison.Ordinal);
        if (operation.JsonBody)
        {
            foreach (var body in Bodies)
            {
                foreach (var contentType in ContentTypes)
                {
                    yield return () =>
                    {
                        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                        return new HttpRequestMessage(operation.Method, Fill(path, "x")) { Content = content };
                    };
                }
            }
        }

        foreach (var value in path.Contains('{', StringComparison.Ordinal) ? PathValues : [])
        {
            yield return () => new HttpRequestMessage(operation.Method, Fill(path, value)) { Content = operation.JsonBody ? new StringContent("{}", Encoding.UTF8, "application/json") : null };
        }

        foreach (var name in operation.Query)
        {
            foreach (var value in QueryValues)
            {
                yield return () => new HttpRequestMessage(operation.Method, Fill(path, "x") + "?" + name + "=" + value + "&" + name + "=" + value);
            }
        }
    }

    private static string Fill(string path, string value) =>
        System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]+\\}", value);

    private static void Authorize(HttpRequestMessage message, string path, string accessToken) =>
        message.Headers.Authorization = path.StartsWith("/admin/", StringComparison.Ordinal)
            ? new AuthenticationHeaderValue("AdminKey", GatehouseFactory.AdminKey)
            : new AuthenticationHeaderValue("Bearer", accessToken);

    /// <summary>Null when the answer is acceptable: below 500, and a 4xx carries problem details with an error code.</summary>
    private static async Task<string?> ProblemWithAsync(HttpMethod method, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(Ct);
        if (status >= 500)
        {
            return $"{status} {Truncate(text, 200)}";
        }

        if (status < 400 || method == HttpMethod.Head)
        {
            return null;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} as '{response.Content.Headers.ContentType}': {Truncate(text, 200)}";
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.TryGetProperty("error", out var error) && error.GetString() is { Length: > 0 }
            ? null
            : $"{status} without an error code: {Truncate(text, 200)}";
    }

    private async Task<List<Operation>> ReadOperationsAsync()
    {
        using var client = _fixture.Factory.CreateApiClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), Ct));
        var operations = new List<Operation>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var query = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToList()
                    : [];
                var json = operation.Value.TryGetProperty("requestBody", out var body)
                    && body.GetProperty("content").TryGetProperty("application/json", out _);

                // Rotating the signing key is an admin action that takes no input: nothing hostile to send it.
                if (path.Name != "/admin/keys/rotate")
                {
                    operations.Add(new Operation(new HttpMethod(operation.Name.ToUpperInvariant()), path.Name, json, query));
                }
            }
        }

        return operations;
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    private sealed record Operation(HttpMethod Method, string Path, bool JsonBody, IReadOnlyList<string> Query);
}
