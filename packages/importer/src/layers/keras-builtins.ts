/**
 * Every layer class Keras itself ships (Keras 1/2, tf.keras 2, Keras 3), by the name a file writes,
 * so that a missing one is reported as a Keras built-in Keraspect lacks — not as a class from the
 * user's Python code. Gathered from each version's `keras.layers` exports (keras/src/layers/__init__.py,
 * tf_keras/layers/__init__.py, keras 2.2 keras/layers/*).
 */
export const KERAS_BUILTIN_LAYERS: ReadonlySet<string> = new Set(
  `Activation ActivityRegularization AdaptiveAveragePooling1D AdaptiveAveragePooling2D AdaptiveAveragePooling3D
  AdaptiveMaxPooling1D AdaptiveMaxPooling2D AdaptiveMaxPooling3D Add AdditiveAttention AlphaDropout
  AtrousConvolution1D AtrousConvolution2D Attention AugMix AutoContrast Average AveragePooling1D AveragePooling2D
  AveragePooling3D AvgPool1D AvgPool2D AvgPool3D BatchNormalization Bidirectional CategoryEncoding CenterCrop
  Concatenate Conv1D Conv1DTranspose Conv2D Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D
  ConvRNN2D Convolution1D Convolution2D Convolution3D Cropping1D Cropping2D Cropping3D CuDNNGRU CuDNNLSTM CutMix
  Deconvolution2D Deconvolution3D Dense DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout ELU EinsumDense
  Embedding Equalization Flatten GRU GRUCell GaussianDropout GaussianNoise GlobalAveragePooling1D
  GlobalAveragePooling2D GlobalAveragePooling3D GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D
  GlobalMaxPool2D GlobalMaxPool3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization
  GroupQueryAttention HashedCrossing Hashing Highway Identity InputLayer IntegerLookup LSTM LSTMCell Lambda
  LayerNormalization LeakyReLU LocallyConnected1D LocallyConnected2D Masking MaxNumBoundingBoxes MaxPool1D MaxPool2D
  MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D Maximum MaxoutDense MelSpectrogram Merge Minimum MixUp
  MultiHeadAttention Multiply Normalization PReLU Permute Pipeline RMSNormalization RNN RandAugment RandomBrightness
  RandomColorDegeneration RandomColorJitter RandomContrast RandomCrop RandomElasticTransform RandomErasing RandomFlip
  RandomFourierFeatures RandomGaussianBlur RandomGrayscale RandomHeight RandomHue RandomInvert RandomPerspective
  RandomPosterization RandomRotation RandomSaturation RandomSharpness RandomShear RandomTranslation RandomWidth
  RandomZoom ReLU RepeatVector Rescaling Reshape Resizing ReversibleEmbedding STFTSpectrogram SeparableConv1D
  SeparableConv2D SeparableConvolution1D SeparableConvolution2D SimpleRNN SimpleRNNCell SlicingOpLambda Softmax
  Solarization SpatialDropout1D SpatialDropout2D SpatialDropout3D SpectralNormalization StackedRNNCells StringLookup
  Subtract TFOpLambda TextVectorization ThresholdedReLU TimeDistributed TorchModuleWrapper UnitNormalization
  UpSampling1D UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D`
    .split(/\s+/)
    .filter(Boolean),
);
