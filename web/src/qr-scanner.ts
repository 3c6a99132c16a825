/**
 * Reads a QR code from the device camera: the browser's own BarcodeDetector where it has one (Chrome on
 * Android and macOS, Safari), else jsQR on downscaled video frames (desktop Linux/Windows browsers, Firefox).
 * jsQR is imported only when it is needed. Nothing leaves the device: frames are read into a canvas that
 * is never shown or sent.
 */

interface DetectedBarcode { rawValue: string }
interface BarcodeDetectorLike { detect(source: CanvasImageSource): Promise<DetectedBarcode[]> }
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

export interface CameraScan {
  stop(): void;
}

/** Frames decoded per second at most: enough to feel instant, light enough for a low-end phone. */
const FRAMES_PER_SECOND = 8;
/** jsQR's cost grows with pixels; a QR held up to a camera is still readable at this width. */
const MAX_DECODE_WIDTH = 640;

async function nativeDetector(): Promise<BarcodeDetectorLike | null> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return null;
  try {
    return (await Detector.getSupportedFormats()).includes('qr_code') ? new Detector({ formats: ['qr_code'] }) : null;
  } catch {
    return null;
  }
}

type FrameDecoder = (video: HTMLVideoElement) => Promise<string | null>;

async function frameDecoder(): Promise<FrameDecoder> {
  const native = await nativeDetector();
  if (native) {
    return async (video) => (await native.detect(video))[0]?.rawValue ?? null;
  }
  // CommonJS with an ES-module default: bundlers hand over either the function or its module.
  const imported: unknown = (await import('jsqr')).default;
  const jsQR = (typeof imported === 'function' ? imported : (imported as { default: unknown }).default) as typeof import('jsqr').default;
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('no 2D canvas');
  return async (video) => {
    if (!video.videoWidth) return null;
    const scale = Math.min(1, MAX_DECODE_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
  };
}

/** Starts the (rear) camera in `video` and calls `onText` once, with the first QR code it reads. */
export async function startCameraScan(video: HTMLVideoElement, onText: (text: string) => void): Promise<CameraScan> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('no camera API (the page needs HTTPS or localhost)');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  try {
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    const decode = await frameDecoder();
    const tick = async () => {
      if (stopped) return;
      let text: string | null = null;
      try {
        text = await decode(video);
      } catch {
        text = null; // a frame that cannot be read (camera still starting): try the next one
      }
      if (stopped) return;
      if (text) {
        stop();
        onText(text);
        return;
      }
      setTimeout(() => void tick(), 1000 / FRAMES_PER_SECOND);
    };
    void tick();
  } catch (error) {
    stop();
    throw error;
  }
  return { stop };
}
