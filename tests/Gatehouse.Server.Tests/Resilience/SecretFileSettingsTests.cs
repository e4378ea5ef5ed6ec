using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// <c>X_FILE</c> settings (Docker/Kubernetes secrets) are Gatehouse's convention for its own settings. A host's
/// environment is full of other tools' <c>*_FILE</c> variables (<c>SSL_CERT_FILE</c>, <c>TF_CLI_CONFIG_FILE</c>,
/// <c>HISTFILE</c>-likes): they are none of Gatehouse's business and must neither stop it nor be read by it.
/// </summary>
public sealed class SecretFileSettingsTests
{
    [Fact]
    public async Task Another_tools_setting_ending_in_FILE_that_names_a_missing_file_does_not_stop_the_server()
    {
        var ct = TestContext.Current.CancellationToken;
        var missing = Path.Combine(TestEnvironment.ScratchDirectory, "gh-missing-" + Guid.NewGuid().ToString("N"), "tool.rc");

        await using var factory = await Api.StartAsync(s => s["SOME_TOOL_CONFIG_FILE"] = missing);
        using var client = factory.CreateApiClient();

        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync(client, "/health/live", cancellationToken: ct)).Status);
    }

    [Fact]
    public async Task A_gatehouse_secret_given_as_a_file_is_read_from_the_file()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(TestEnvironment.ScratchDirectory, "gh-admin-key-" + Guid.NewGuid().ToString("N"));
        var fromFile = "admin-key-from-a-file-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(path, fromFile + "\n", ct);
        try
        {
            await using var factory = await Api.StartAsync(s => s["Gatehouse:Admin:ApiKey_FILE"] = path);
            using var client = factory.CreateApiClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/keys");
            request.Headers.Authorization = new AuthenticationHeaderValue("AdminKey", fromFile);

            using var response = await client.SendAsync(request, ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
