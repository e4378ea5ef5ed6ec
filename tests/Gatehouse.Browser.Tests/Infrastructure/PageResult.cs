using System.Text.Json;
using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>Reads what a <see cref="FrontendHost"/> page reported, and makes further calls from it.</summary>
public static class PageResult
{
    /// <summary>Waits for the page's <c>#result</c> to be filled and parses it.</summary>
    public static async Task<JsonElement> ReadAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var result = page.Locator("#result[data-state=done]");
        await result.WaitForAsync();
        return JsonDocument.Parse((await result.TextContentAsync())!).RootElement.Clone();
    }

    /// <summary>
    /// <c>POST {gatehouse}{path}</c> from the page's script, with credentials, as the frontend would. Returns
    /// <c>{status, body, sub}</c>.
    /// </summary>
    public static async Task<JsonElement> CallAsync(IPage page, string path, object? body = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        var json = await page.EvaluateAsync<string>(
            "async ([path, body]) => JSON.stringify(await window.gatehouseCall(path, body ?? undefined))",
            new object?[] { path, body });
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    public static string? Text(this JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
    }

    public static int Status(this JsonElement element, string call) => element.GetProperty(call).GetProperty("status").GetInt32();
}
