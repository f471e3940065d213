namespace KafkaIngestion.Tests;

/// <summary>
/// A test that drives a real browser: Debian's Chromium, named by <c>KAFKAINGESTION_TEST_CHROMIUM</c>
/// (<c>.ci/run</c> installs it with <c>.ci/chromium.sh</c>) or found at <c>/usr/bin/chromium</c>.
/// Without one it is skipped, visibly, except under CI (<c>CI</c> set), where it runs and fails:
/// CI must not pass by leaving the browser test out.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ChromiumVariable = "KAFKAINGESTION_TEST_CHROMIUM";

    /// <summary>Flags for a headless Chromium that reaches nothing but the page under test.</summary>
    public static readonly string[] LaunchArguments =
        ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public ChromiumFactAttribute()
    {
        if (ExecutablePath is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = $"No Chromium: install Debian's chromium or set {ChromiumVariable} (.ci/run does).";
        }
    }

    /// <summary>The browser to drive, or null when there is none.</summary>
    public static string? ExecutablePath =>
        Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured ? configured
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
        : null;

    /// <summary>The browser, or the reason the test fails (under CI) without one.</summary>
    public static string RequiredExecutablePath =>
        ExecutablePath is { } path && File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"No Chromium at '{ExecutablePath ?? "/usr/bin/chromium"}': CI must run the browser test. Install it with .ci/chromium.sh and set {ChromiumVariable}.");
}
