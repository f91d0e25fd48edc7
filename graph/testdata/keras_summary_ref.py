# Makes the expected Keras 2 summary tables of graph/summary_test.go: Keras 2.2's
# print_summary (sequential-like branch), reimplemented. Run: python3 keras_summary_ref.py
def print_summary(rows, trainable, non_trainable, line_length=65, positions=(.45, .85, 1.)):
    out = []
    positions = [int(line_length * p) for p in positions]
    def print_row(fields):
        line = ''
        for i in range(len(fields)):
            if i > 0:
                line = line[:-1] + ' '
            line += str(fields[i])
            line = line[:positions[i]]
            line += ' ' * (positions[i] - len(line))
        out.append(line)
    out.append('_' * line_length)
    print_row(['Layer (type)', 'Output Shape', 'Param #'])
    out.append('=' * line_length)
    for i, r in enumerate(rows):
        print_row(r)
        out.append('=' * line_length if i == len(rows) - 1 else '_' * line_length)
    out.append('Total params: {:,}'.format(trainable + non_trainable))
    out.append('Trainable params: {:,}'.format(trainable))
    out.append('Non-trainable params: {:,}'.format(non_trainable))
    out.append('_' * line_length)
    return out

N = None
seed = [
 ('input_1 (InputLayer)', (N, 28, 28, 1), 0),
 ('conv2d_1 (Conv2D)', (N, 28, 28, 16), 160),
 ('activation_1 (Activation)', (N, 28, 28, 16), 0),
 ('max_pooling2d_1 (MaxPooling2D)', (N, 14, 14, 16), 0),
 ('conv2d_2 (Conv2D)', (N, 14, 14, 2), 290),
 ('activation_2 (Activation)', (N, 14, 14, 2), 0),
 ('max_pooling2d_2 (MaxPooling2D)', (N, 7, 7, 2), 0),
 ('conv2d_3 (Conv2D)', (N, 7, 7, 2), 38),
 ('activation_3 (Activation)', (N, 7, 7, 2), 0),
 ('up_sampling2d_1 (UpSampling2D)', (N, 14, 14, 2), 0),
 ('conv2d_4 (Conv2D)', (N, 14, 14, 16), 304),
 ('activation_4 (Activation)', (N, 14, 14, 16), 0),
 ('up_sampling2d_2 (UpSampling2D)', (N, 28, 28, 16), 0),
 ('conv2d_5 (Conv2D)', (N, 28, 28, 1), 145),
 ('activation_5 (Activation)', (N, 28, 28, 1), 0),
]
for l in print_summary(seed, 937, 0):
    print(l + '|')
print()
dcec = [
 ('input_1 (InputLayer)', (N, 28, 28, 1), 0),
 ('conv2d_1 (Conv2D)', (N, 14, 14, 32), 832),
 ('conv2d_2 (Conv2D)', (N, 7, 7, 64), 51264),
 ('conv2d_3 (Conv2D)', (N, 3, 3, 128), 73856),
 ('flatten_1 (Flatten)', (N, 1152), 0),
 ('embedding (Dense)', (N, 10), 11530),
 ('dense_1 (Dense)', (N, 1152), 12672),
 ('reshape_1 (Reshape)', (N, 3, 3, 128), 0),
 ('conv2d_transpose_1 (Conv2DTranspose)', (N, 7, 7, 64), 73792),
 ('conv2d_transpose_2 (Conv2DTranspose)', (N, 14, 14, 32), 51232),
 ('conv2d_transpose_3 (Conv2DTranspose)', (N, 28, 28, 1), 801),
]
for l in print_summary(dcec, 275979, 0):
    print(l + '|')
