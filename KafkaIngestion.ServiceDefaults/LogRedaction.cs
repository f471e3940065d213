namespace KafkaIngestion.ServiceDefaults;

/// <summary>What may not reach a log line as given.</summary>
public static class LogRedaction
{
    /// <summary>
    /// The address without its user info: <c>http://user:password@host/</c> is a valid target
    /// for a client, and the password must not be logged with it.
    /// </summary>
    public static string WithoutUserInfo(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsAbsoluteUri && uri.UserInfo.Length > 0
            ? uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped)
            : uri.ToString();
    }
}
