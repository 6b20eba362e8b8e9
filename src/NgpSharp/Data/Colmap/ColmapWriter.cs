using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace NgpSharp.Data.Colmap;

/// <summary>
/// Writes a <see cref="ColmapModel"/> as COLMAP text or binary files (the layouts <see cref="ColmapTextReader"/> and
/// <see cref="ColmapBinaryReader"/> read). Doubles are written round-trip exact ("R"), so text and binary agree.
/// </summary>
public static class ColmapWriter
{
    public static void WriteText(ColmapModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        var c = CultureInfo.InvariantCulture;
        string D(double v) => v.ToString("R", c);
        var sb = new StringBuilder("# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n");
        foreach (var cam in model.Cameras)
            sb.Append(c, $"{cam.Id} {ColmapCameraModels.Name(cam.Model)} {cam.Width} {cam.Height} {string.Join(' ', cam.Params.Select(D))}\n");
        File.WriteAllText(Path.Combine(directory, "cameras.txt"), sb.ToString());

        sb = new StringBuilder("# Image list with two lines of data per image:\n#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n#   POINTS2D[] as (X, Y, POINT3D_ID)\n");
        foreach (var im in model.Images)
        {
            sb.Append(c, $"{im.Id} {string.Join(' ', im.Qvec.Select(D))} {string.Join(' ', im.Tvec.Select(D))} {im.CameraId} {im.Name}\n");
            sb.AppendJoin(' ', Enumerable.Range(0, im.Point3DIds.Length).Select(k =>
                $"{D(im.Points2D[2 * k])} {D(im.Points2D[2 * k + 1])} {im.Point3DIds[k].ToString(c)}"));
            sb.Append('\n');
        }
        File.WriteAllText(Path.Combine(directory, "images.txt"), sb.ToString());

        sb = new StringBuilder("# 3D point list with one line of data per point:\n#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n");
        foreach (var p in model.Points3D)
        {
            sb.Append(c, $"{p.Id} {D(p.X)} {D(p.Y)} {D(p.Z)} {p.R} {p.G} {p.B} {D(p.Error)}");
            for (int k = 0; k < p.TrackImageIds.Length; k++) sb.Append(c, $" {p.TrackImageIds[k]} {p.TrackPoint2DIndices[k]}");
            sb.Append('\n');
        }
        File.WriteAllText(Path.Combine(directory, "points3D.txt"), sb.ToString());
    }

    public static void WriteBinary(ColmapModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        var w = new LittleEndianWriter();
        w.U64((ulong)model.Cameras.Count);
        foreach (var cam in model.Cameras)
        {
            w.I32(cam.Id); w.I32((int)cam.Model); w.I64(cam.Width); w.I64(cam.Height);
            foreach (var v in cam.Params) w.F64(v);
        }
        File.WriteAllBytes(Path.Combine(directory, "cameras.bin"), w.ToArray());

        w = new LittleEndianWriter();
        w.U64((ulong)model.Images.Count);
        foreach (var im in model.Images)
        {
            w.I32(im.Id);
            foreach (var v in im.Qvec) w.F64(v);
            foreach (var v in im.Tvec) w.F64(v);
            w.I32(im.CameraId);
            w.Bytes(Encoding.UTF8.GetBytes(im.Name)); w.Bytes([0]);
            w.U64((ulong)im.Point3DIds.Length);
            for (int k = 0; k < im.Point3DIds.Length; k++) { w.F64(im.Points2D[2 * k]); w.F64(im.Points2D[2 * k + 1]); w.I64(im.Point3DIds[k]); }
        }
        File.WriteAllBytes(Path.Combine(directory, "images.bin"), w.ToArray());

        w = new LittleEndianWriter();
        w.U64((ulong)model.Points3D.Count);
        foreach (var p in model.Points3D)
        {
            w.I64(p.Id); w.F64(p.X); w.F64(p.Y); w.F64(p.Z); w.Bytes([p.R, p.G, p.B]); w.F64(p.Error);
            w.U64((ulong)p.TrackImageIds.Length);
            for (int k = 0; k < p.TrackImageIds.Length; k++) { w.I32(p.TrackImageIds[k]); w.I32(p.TrackPoint2DIndices[k]); }
        }
        File.WriteAllBytes(Path.Combine(directory, "points3D.bin"), w.ToArray());
    }

    sealed class LittleEndianWriter
    {
        readonly MemoryStream _s = new();
        readonly byte[] _b = new byte[8];
        public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_b, v); _s.Write(_b, 0, 4); }
        public void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(_b, v); _s.Write(_b, 0, 8); }
        public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_b, v); _s.Write(_b, 0, 8); }
        public void F64(double v) { BinaryPrimitives.WriteDoubleLittleEndian(_b, v); _s.Write(_b, 0, 8); }
        public void Bytes(ReadOnlySpan<byte> v) => _s.Write(v);
        public byte[] ToArray() => _s.ToArray();
    }
}
