namespace KafkaIngestion.Tests;

/// <summary>A check of what CI must provide; skipped, visibly, outside CI (<c>CI</c> unset).</summary>
public sealed class CiFactAttribute : FactAttribute
{
    public CiFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "Checks what CI provides; CI is not set.";
        }
    }
}
