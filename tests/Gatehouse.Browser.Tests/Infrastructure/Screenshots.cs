using Microsoft.Playwright;

namespace Gatehouse.Browser.Tests.Infrastructure;

/// <summary>
/// Screenshots of the demo's main screens, kept as test artefacts: in <c>screenshots/</c> beside the test assembly
/// (with GATEHOUSE_ARTIFACTS=/tmp/x, /tmp/x/bin/Gatehouse.Browser.Tests/release/screenshots), or in
/// GATEHOUSE_TEST_SCREENSHOTS when it is set. Each run overwrites the previous run's files of the same name.
/// </summary>
public static class Screenshots
{
    public static string Directory =>
        Environment.GetEnvironmentVariable("GATEHOUSE_TEST_SCREENSHOTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), FullPage = true });
    }
}
