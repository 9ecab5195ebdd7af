using System.Buffers.Binary;
using System.Text;
using Backend.Images;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetVips;

namespace Backend.Tests.Images;

/// <summary>Test inputs made in code with NetVips (nothing binary in git): photos with a red marker in the stored
/// top-left corner, EXIF (orientation and GPS) and XMP; RGBA images; a hand-made PNG pixel bomb.</summary>
internal static class TestImages
{
    public static VipsImageProcessor Processor(ImageOptions? options = null) =>
        new(Options.Create(options ?? new ImageOptions()), NullLogger<VipsImageProcessor>.Instance);

    /// <summary>The width and height of an encoded image.</summary>
    public static (int Width, int Height) Dimensions(byte[] bytes)
    {
        using var image = Image.NewFromBuffer(bytes);
        return (image.Width, image.Height);
    }

    /// <summary>A <paramref name="width"/>x<paramref name="height"/> grey RGB image (as stored), with a red 1/5-size
    /// block in its stored top-left corner, EXIF orientation <paramref name="orientation"/>, GPS position and camera
    /// tags, and an XMP packet, encoded as <paramref name="format"/>.</summary>
    public static byte[] Photo(int width, int height, int orientation = 1, string format = "jpg")
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * 3;
                var red = x < width / 5 && y < height / 5;
                pixels[i] = red ? (byte)230 : (byte)(100 + (x + y) % 50);
                pixels[i + 1] = red ? (byte)20 : (byte)120;
                pixels[i + 2] = red ? (byte)20 : (byte)110;
            }
        }
        using var plain = Image.NewFromMemory(pixels, width, height, 3, Enums.BandFormat.Uchar);
        using var image = plain.Mutate(m =>
        {
            m.Set(GValue.BlobType, "exif-data", Exif(orientation));
            m.Set(GValue.GIntType, "orientation", orientation);
            m.Set(GValue.BlobType, "xmp-data", Encoding.UTF8.GetBytes(
                "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
                + "<rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='48,51.40N'/></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"));
        });
        return Encode(image, format);
    }

    /// <summary>An RGBA image whose alpha goes from 0 (left) to 255 (right), the colour blue.</summary>
    public static byte[] Transparent(int width, int height, string format = "png")
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * 4;
                pixels[i + 2] = 255;
                pixels[i + 3] = (byte)(x * 255 / Math.Max(1, width - 1));
            }
        }
        using var image = Image.NewFromMemory(pixels, width, height, 4, Enums.BandFormat.Uchar);
        return Encode(image, format);
    }

    public static byte[] Encode(Image image, string format) => format switch
    {
        "jpg" => image.JpegsaveBuffer(q: 90),
        "png" => image.PngsaveBuffer(),
        "gif" => image.GifsaveBuffer(),
        "webp" => image.WebpsaveBuffer(q: 90),
        _ => throw new ArgumentException(format, nameof(format)),
    };

    /// <summary>An EXIF block ("Exif\0\0" + little-endian TIFF): IFD0 with Orientation, Make and the GPS IFD pointer;
    /// the GPS IFD with GPSLatitudeRef N and GPSLatitude 48/1 51/1 2412/100.</summary>
    public static byte[] Exif(int orientation)
    {
        var tiff = new byte[128];
        var s = tiff.AsSpan();
        "II"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], 42);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], 8);
        // IFD0 at 8: 3 entries, ends at 8 + 2 + 36 + 4 = 50.
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], 3);
        Entry(s, 10, 0x010F, 2, 4, BinaryPrimitives.ReadUInt32LittleEndian("Cam\0"u8));   // Make "Cam"
        Entry(s, 22, 0x0112, 3, 1, (uint)orientation);                                   // Orientation
        Entry(s, 34, 0x8825, 4, 1, 50);                                                  // GPS IFD at 50
        // GPS IFD at 50: 2 entries, ends at 50 + 2 + 24 + 4 = 80; the latitude's rationals at 80.
        BinaryPrimitives.WriteUInt16LittleEndian(s[50..], 2);
        Entry(s, 52, 0x0001, 2, 2, 'N');                                                 // GPSLatitudeRef "N"
        Entry(s, 64, 0x0002, 5, 3, 80);                                                  // GPSLatitude
        uint[] rationals = [48, 1, 51, 1, 2412, 100];
        for (var i = 0; i < rationals.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(s[(80 + i * 4)..], rationals[i]);
        return [.. "Exif\0\0"u8, .. tiff.AsSpan(0, 104)];

        static void Entry(Span<byte> s, int at, ushort tag, ushort type, uint count, uint value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[at..], tag);
            BinaryPrimitives.WriteUInt16LittleEndian(s[(at + 2)..], type);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(at + 4)..], count);
            BinaryPrimitives.WriteUInt32LittleEndian(s[(at + 8)..], value);
        }
    }

    /// <summary>A PNG declaring <paramref name="width"/>x<paramref name="height"/> RGBA (valid IHDR CRC) with one tiny
    /// IDAT (a zlib stream of one filtered row of zeros) and IEND: a few hundred bytes claiming gigabytes of pixels.</summary>
    public static byte[] PngBomb(int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;   // bit depth
        ihdr[9] = 6;   // RGBA
        Chunk(ms, "IHDR", ihdr);
        using (var z = new MemoryStream())
        {
            using (var zlib = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                zlib.Write(new byte[4096]);
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    internal static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>A real PNG of exactly <paramref name="size"/> bytes: a small noise image padded with a private
    /// ancillary chunk of random bytes (decoders skip it; the processed image drops it).</summary>
    public static byte[] PngOfSize(int size)
    {
        var pixels = new byte[16 * 16 * 3];
        Random.Shared.NextBytes(pixels);
        using var image = Image.NewFromMemory(pixels, 16, 16, 3, Enums.BandFormat.Uchar);
        var png = image.PngsaveBuffer();
        var iend = png.Length - 12;
        var pad = new byte[size - png.Length - 12];
        Random.Shared.NextBytes(pad);
        var ms = new MemoryStream(size);
        ms.Write(png, 0, iend);
        Chunk(ms, "prVt", pad);
        ms.Write(png, iend, 12);
        return ms.ToArray();
    }

    /// <summary>The process's resident set size in bytes (/proc/self/status VmRSS).</summary>
    public static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>True when <paramref name="haystack"/> contains the ASCII <paramref name="marker"/>.</summary>
    public static bool Contains(byte[] haystack, string marker) => haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker)) >= 0;
}
