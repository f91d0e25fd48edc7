package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/aekit/aekit/data"
	"github.com/aekit/aekit/graph"
)

// clusterSamples is the number of images clusters.png shows per cluster.
const clusterSamples = 10

// clusterFileNames are the files writeClusterFiles writes into dir.
func clusterFileNames(dir string) []string {
	return []string{
		filepath.Join(dir, "assignments.csv"),
		filepath.Join(dir, "centroids.csv"),
		filepath.Join(dir, "metrics.json"),
		filepath.Join(dir, "clusters.png"),
	}
}

// writeClusterFiles writes a clustering run's files into dir:
// assignments.csv (index,cluster,label — label empty when unknown),
// centroids.csv (cluster,c0,…: the k-means centers in code space),
// metrics.json (the report) and clusters.png (one row of sample images per
// cluster, labelled with the cluster and its matched label).
func writeClusterFiles(dir string, r *clusterReport, ds *data.Dataset) error {
	names := clusterFileNames(dir)
	m := r.model

	var b bytes.Buffer
	b.WriteString("index,cluster,label\n")
	for i, c := range m.Labels {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(c))
		b.WriteByte(',')
		if ds.Labels != nil {
			b.WriteString(strconv.Itoa(ds.Labels[i]))
		}
		b.WriteByte('\n')
	}
	if err := writeFileAtomic(names[0], b.Bytes()); err != nil {
		return err
	}

	b.Reset()
	b.WriteString("cluster")
	for j := 0; j < m.D; j++ {
		fmt.Fprintf(&b, ",c%d", j)
	}
	b.WriteByte('\n')
	for k := 0; k < m.K; k++ {
		b.WriteString(strconv.Itoa(k))
		for _, v := range m.Center(k) {
			b.WriteByte(',')
			b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		b.WriteByte('\n')
	}
	if err := writeFileAtomic(names[1], b.Bytes()); err != nil {
		return err
	}

	if err := writeJSON(names[2], r); err != nil {
		return err
	}

	rows := make([][]*graph.Tensor, m.K)
	labels := make([]string, m.K)
	for i, c := range m.Labels {
		if len(rows[c]) < clusterSamples {
			rows[c] = append(rows[c], ds.Image(i))
		}
	}
	for k := range labels {
		labels[k] = fmt.Sprintf("cluster %d", k)
		if rec := r.Clusters[k]; rec.Label != nil {
			labels[k] += ": " + labelName(ds, *rec.Label, 1)
		}
	}
	img, err := data.ImageGrid(rows, data.GridOptions{Scale: 2, RowLabels: labels})
	if err != nil {
		return err
	}
	return data.WritePNG(names[3], img)
}
