using KafkaIngestion.Http;
using Microsoft.Extensions.Primitives;

namespace KafkaIngestion.Api.Input;

/// <summary>Reads a request's <c>Content-Encoding</c>: the one coding its body was compressed with.</summary>
internal static class ContentEncodingHeader
{
    /// <summary>What a 415 answer's <c>Accept-Encoding</c> says (RFC 9110 §15.5.16): the codings taken.</summary>
    public static string Supported { get; } = string.Join(", ", ContentCodings.Names);

    private const int MaxEchoedChars = 64;

    /// <returns>Null when the body's coding is one the API takes (in <paramref name="coding"/>), else why not.</returns>
    public static string? Read(StringValues header, out ContentCoding coding)
    {
        coding = ContentCoding.Identity;
        if (header.Count == 0)
        {
            return null;
        }

        // A list names the codings in the order they were applied (RFC 9110 §8.4); "identity"
        // entries change nothing. One coding is enough for any client, and a stack of them would
        // multiply what a small body can inflate to, so more than one is refused.
        foreach (var value in header)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                var name = value.AsSpan()[range].Trim(" \t");
                if (name.IsEmpty)
                {
                    continue;
                }

                if (!ContentCodings.TryParse(name, out var named))
                {
                    return $"The body's Content-Encoding '{Echo(name)}' is not one this API decodes; send it as {Supported}.";
                }

                if (named == ContentCoding.Identity)
                {
                    continue;
                }

                if (coding != ContentCoding.Identity)
                {
                    return $"The body names more than one content coding ('{Echo(header.ToString())}'); compress it with one of {Supported}.";
                }

                coding = named;
            }
        }

        return null;
    }

    private static string Echo(ReadOnlySpan<char> text) =>
        text.Length <= MaxEchoedChars ? text.ToString() : string.Concat(text[..MaxEchoedChars], "…");
}
