using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Imaging;

public class ImageFileTests
{
    [Theory]
    [InlineData("camera.png", 1)]
    [InlineData("astronaut.png", 3)]
    [InlineData("astronaut_rgba.png", 4)]
    [InlineData("astronaut_444.jpg", 3)]
    [InlineData("astronaut_gray.jpg", 1)]
    public void ReadsPngAndJpegByTheirFirstBytes(string name, int channels)
    {
        var image = ImageFile.Read(TestData.Path("images", name));
        Assert.Equal(channels, image.Channels);
        Assert.Equal(512, image.Width);
    }

    [Fact]
    public void OtherFilesAndMissingFilesAreNamed()
    {
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode("GIF89a......"u8, "x.gif"));
        Assert.Contains("x.gif: not a PNG or JPEG file", e.Message);
        Assert.Contains("/missing.png", Assert.Throws<FileNotFoundException>(() => ImageFile.Read("/missing.png")).Message);
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode([], "empty.png"));
    }
}
