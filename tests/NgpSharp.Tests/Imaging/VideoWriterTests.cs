using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Imaging;

public sealed class VideoWriterTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-video-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    static Image Frame(int i)
    {
        var img = new Image(8, 6, 3);
        for (int p = 0; p < 48; p++) { img.Data[3 * p] = (i * 40 % 256) / 255f; img.Data[3 * p + 1] = p / 47f; }
        return img;
    }

    [Fact]
    public void WithoutFfmpeg_WritesGif()
    {
        var rendered = new List<int>();
        string path = VideoWriter.Write(Path.Combine(_tmp, "video"), 5, i => { rendered.Add(i); return Frame(i); }, fps: 25, findFfmpeg: () => null);
        Assert.Equal(Path.Combine(_tmp, "video.gif"), path);
        Assert.Equal([0, 1, 2, 3, 4], rendered);
        var gif = MiniGif.Decode(File.ReadAllBytes(path));
        Assert.Equal(5, gif.Frames.Count);
        Assert.All(gif.Frames, f => Assert.Equal(4, f.DelayCentiseconds));
        Assert.Equal(0, gif.LoopCount);
        Assert.Equal(GifWriter.ToRgb(Frame(3)), gif.Frames[3].Rgb);
        Assert.Equal(["video.gif"], Directory.GetFiles(_tmp).Select(Path.GetFileName));
    }

    [Fact]
    public void FailingFfmpeg_FallsBackToGif()
    {
        if (OperatingSystem.IsWindows()) return; // the fake ffmpeg is a shell script
        string fake = Path.Combine(_tmp, "fake-ffmpeg");
        File.WriteAllText(fake, "#!/bin/sh\ncat > /dev/null\necho 'Unknown encoder libx264' >&2\nexit 1\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var messages = new List<string>();
        string path = VideoWriter.Write(Path.Combine(_tmp, "video"), 3, Frame, fps: 10, findFfmpeg: () => fake, log: messages.Add);
        Assert.EndsWith("video.gif", path);
        Assert.Contains(messages, m => m.Contains("exit code 1") && m.Contains("libx264"));
        Assert.Equal(3, MiniGif.Decode(File.ReadAllBytes(path)).Frames.Count);
        Assert.False(File.Exists(Path.Combine(_tmp, "video.mp4")));
        Assert.DoesNotContain(Directory.GetFiles(_tmp), f => f.EndsWith(".tmp.mp4"));
    }

    [Fact]
    public void WorkingFfmpeg_GetsRawRgbFrames()
    {
        if (OperatingSystem.IsWindows()) return;
        // A stand-in ffmpeg that stores stdin as its output file (the last argument), so we can check the bytes.
        string fake = Path.Combine(_tmp, "fake-ffmpeg");
        File.WriteAllText(fake, "#!/bin/sh\nfor last; do :; done\ncat > \"$last\"\nexit 0\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string path = VideoWriter.Write(Path.Combine(_tmp, "orbit"), 2, Frame, fps: 30, findFfmpeg: () => fake);
        Assert.Equal(Path.Combine(_tmp, "orbit.mp4"), path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(2 * 8 * 6 * 3, bytes.Length);
        var rgb = GifWriter.ToRgb(Frame(1));
        Assert.Equal((byte)(rgb[5] >> 16), bytes[48 * 3 + 5 * 3]);
        Assert.Equal((byte)(rgb[5] >> 8), bytes[48 * 3 + 5 * 3 + 1]);
    }
}
