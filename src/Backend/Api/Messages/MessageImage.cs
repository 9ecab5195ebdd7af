using Backend.Images;

namespace Backend.Api.Messages;

/// <summary>A message image as it is stored: its bytes, extension and content type. Uploads are read by
/// <see cref="ImageUpload"/> (multipart <c>icon</c>, base64 parameter or raw <c>image/*</c> body) and stored as
/// <see cref="IImageProcessor"/> made them (<see cref="From(ProcessedImage)"/>): oriented, metadata stripped, scaled by
/// <c>_width</c>/<c>_height</c>, in the <c>_ext</c> format.</summary>
internal sealed record MessageImage(byte[] Bytes, string Extension, string ContentType)
{
    /// <summary>Largest image accepted: <see cref="ImageUpload.MaxBytes"/>.</summary>
    public const int MaxBytes = ImageUpload.MaxBytes;

    /// <summary>The processed image to store.</summary>
    public static MessageImage From(ProcessedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new MessageImage(image.Data, image.Format, image.ContentType);
    }

    /// <summary>Decodes base64 text as <see cref="ImageUpload.FromBase64"/> does (400/413 as there), unprocessed.</summary>
    public static MessageImage FromBase64(string text) => Of(ImageUpload.FromBase64(text, "icon"));

    /// <summary>Checks raw bytes as <see cref="ImageUpload.FromBytes"/> does, unprocessed (tests store images as given).</summary>
    public static MessageImage FromBytes(byte[] bytes) => Of(ImageUpload.FromBytes(bytes, "icon"));

    /// <summary>The content type of a stored image by its extension (the store names files after their format).</summary>
    public static string ContentTypeOf(string path) => ImageFormats.ContentTypeOf(path);

    private static MessageImage Of(ImageUpload upload) => new(upload.Bytes, upload.Extension, upload.ContentType);
}
