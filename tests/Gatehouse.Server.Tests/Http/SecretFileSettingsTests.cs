using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Server.Tests.Infrastructure;
using Xunit;
using static Gatehouse.Server.Tests.Http.HttpTestHelpers;

namespace Gatehouse.Server.Tests.Http;

/// <summary>
/// The <c>X_FILE</c> convention for secrets (<c>Gatehouse__Admin__ApiKey_FILE=/run/secrets/admin-key</c>), seen from
/// outside: the secret in the file is the one the server uses, and unrelated settings that merely end in <c>_FILE</c>
/// (the environment is full of them: <c>SSL_CERT_FILE</c>, <c>TF_CLI_CONFIG_FILE</c>, …) do not stop the server.
/// </summary>
public sealed class SecretFileSettingsTests
{
    [Fact]
    public async Task The_admin_key_comes_from_its_file_and_other_FILE_settings_are_left_alone()
    {
        var path = Path.Combine(TestEnvironment.ScratchDirectory, "gh-admin-key-" + Guid.NewGuid().ToString("N"));
        var key = "file-admin-key-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(path, key + "\n", Ct);
        try
        {
            await using var factory = new GatehouseFactory(s =>
            {
                s["Gatehouse:Admin:ApiKey_FILE"] = path;
                s["SOME_TOOL_CONFIG_FILE"] = "/nonexistent/gatehouse-test/tool.rc";
            });
            await factory.InitializeAsync();
            using var client = factory.CreateApiClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AdminKey", key);

            using var response = await client.GetAsync("/admin/keys", Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
